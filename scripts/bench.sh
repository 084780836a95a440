#!/usr/bin/env bash
# Benchmarks `podium enrich` (release build) on a 10-minute input made by looping the fixture
# clip with stream copy, and writes the numbers to docs/bench-results.md.
# Reproducible: same input bytes every run; timings vary with the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null 2>&1 || sudo apt-get install -y -qq time; }

loops=${PODIUM_BENCH_LOOPS:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixture=fixtures/swim-100-free

swift build -c release --product podium
podium=$(swift build -c release --show-bin-path)/podium

ffmpeg -nostdin -v error -stream_loop $((loops - 1)) -i "$fixture/clip.ts" -map 0 -c copy -f mpegts "$work/long.ts"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$work/long.ts" | grep -m1 -E "^[0-9]+")
input_mb=$(du -m "$work/long.ts" | cut -f1)

enrich=("$podium" enrich "$work/long.ts" --results "$fixture/results" --clock "$fixture/clock.json" --out "$work/out.ts" --database "$work/bench.sqlite")

hyperfine --warmup 1 --runs 5 --prepare "rm -f $work/bench.sqlite*" --export-json "$work/hyperfine.json" "${enrich[*]}" >/dev/null
mean=$(python3 -c "import json;print(json.load(open('$work/hyperfine.json'))['results'][0]['mean'])")
stddev=$(python3 -c "import json;print(json.load(open('$work/hyperfine.json'))['results'][0]['stddev'])")
rm -f "$work"/bench.sqlite*
peak_kb=$(/usr/bin/time -f "%M" "${enrich[@]}" 2>&1 >/dev/null | tail -1)

fps=$(python3 -c "print(round($frames / $mean))")
realtime=$(python3 -c "print(round($frames / $mean / 50, 1))")
cat > docs/bench-results.md <<TEXT
# Latest benchmark results

Written by \`scripts/bench.sh\` (\`make bench\`) on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), Swift release build.

| what | number |
| --- | --- |
| input | fixture clip looped ${loops}× with stream copy: ${frames} frames (50 fps, $((frames / 50)) s), ${input_mb} MB |
| \`podium enrich\` wall time (hyperfine, 5 runs) | $(printf '%.2f' "$mean") s ± $(printf '%.2f' "$stddev") s |
| throughput | ${fps} frames/s, ${realtime}× real time at 50 fps |
| peak resident memory | $((peak_kb / 1024)) MB |
TEXT
cat docs/bench-results.md
