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

podium=$(scripts/build-release.sh)

ffmpeg -nostdin -v error -stream_loop $((loops - 1)) -i "$fixture/clip.ts" -map 0 -c copy -f mpegts "$work/long.ts"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$work/long.ts" | grep -m1 -E "^[0-9]+")
input_mb=$(du -m "$work/long.ts" | cut -f1)

enrich=("$podium" enrich "$work/long.ts" --results "$fixture/results" --clock "$fixture/clock.json" --out "$work/out.ts" --database "$work/bench.sqlite")

hyperfine --warmup 1 --runs 5 --prepare "rm -f $work/bench.sqlite*" --export-json "$work/hyperfine.json" "${enrich[*]}" >/dev/null
mean=$(python3 -c "import json;print(json.load(open('$work/hyperfine.json'))['results'][0]['mean'])")
stddev=$(python3 -c "import json;print(json.load(open('$work/hyperfine.json'))['results'][0]['stddev'])")
rm -f "$work"/bench.sqlite*
peak_kb=$(/usr/bin/time -f "%M" "${enrich[@]}" 2>&1 >/dev/null | tail -1)

# Results intake: 2000 versions of an 8-lane DT_RESULT, and a 1.3 MB Lenex meet, each into a fresh database.
python3 scripts/make-feed-bench.py "$work/feeds" 2000
hyperfine --warmup 1 --runs 5 --prepare "rm -f $work/feeds.sqlite*" --export-json "$work/odf.json" \
    "$podium import $work/feeds/versions --database $work/feeds.sqlite" >/dev/null
hyperfine --warmup 1 --runs 10 --prepare "rm -f $work/feeds.sqlite*" --export-json "$work/lenex.json" \
    "$podium import $work/feeds/big.lef --database $work/feeds.sqlite" >/dev/null
odf_mean=$(python3 -c "import json;print(json.load(open('$work/odf.json'))['results'][0]['mean'])")
lenex_mean=$(python3 -c "import json;print(json.load(open('$work/lenex.json'))['results'][0]['mean'])")
odf_rate=$(python3 -c "print(round(2000 / $odf_mean))")
lenex_mb=$(python3 -c "import os;print(round(os.path.getsize('$work/feeds/big.lef') / 1e6, 2))")
lenex_rate=$(python3 -c "print(round($lenex_mb / $lenex_mean, 1))")
# Intake against the size of the meet: 6000 distinct units over HTTP, three document shapes.
units_line=$(python3 scripts/bench-intake-units.py "$podium" 6000 --line)

# Per-frame overlay cost (ordo-one/benchmark, its own package so CI never builds it).
(cd Benchmarks && swift package --disable-sandbox benchmark --target OverlayBenchmarks --format markdown --no-progress) > "$work/overlay.md" 2>&1 || true
overlay_state=$(python3 - "$work/overlay.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def p50(section, metric):
    block = text.split(section, 1)[1].split("###", 1)[0] if section in text else ""
    for line in block.splitlines():
        if line.startswith("| " + metric):
            unit = re.search(r"\((μs|ns|ms|us)\)", line)
            cells = [cell.strip() for cell in line.split("|")[1:-1]]
            value = float(cells[3])
            scale = {"ns": 0.001, "ms": 1000.0}.get(unit.group(1) if unit else "", 1.0)
            return f"{value * scale:g}"
    return "?"
state = p50("State only", "Time (wall clock)")
template = p50("Swimming template", "Time (wall clock)")
verdict = "met" if template != "?" and float(template) <= 5 else "not met"
print(state, p50("State only", "Malloc (total)"), template, p50("Swimming template", "Malloc (total)"), verdict.replace(" ", "_"),
      p50("Template texts, Podium's Mustache", "Time (wall clock)"), p50("Template texts, swift-mustache", "Time (wall clock)"))
PY
)
read -r state_us state_mallocs template_us template_mallocs verdict texts_podium_us texts_library_us <<< "$overlay_state"

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
| \`podium import\` of 2000 successive 8-lane DT_RESULT versions (parse, hash, store verbatim, derive and store facts, one transaction each) | $(printf '%.2f' "$odf_mean") s: ${odf_rate} documents/s, process start included |
| per frame, state only (timeline + full JSON + ID3), median | ${state_us} µs, ${state_mallocs} allocations |
| per frame, swimming template (timeline + elements + compact JSON + ID3), median | ${template_us} µs, ${template_mallocs} allocations (target 5 µs: ${verdict/_/ }) |
| every text of the swimming template rendered from scratch, per frame, median: Podium's Mustache against swift-mustache (templates.md) | ${texts_podium_us} µs against ${texts_library_us} µs |
| \`POST /v1/feeds\` of 6000 distinct units, median per POST over the first 50 → last 50 of each shape (target: within 2×) | ${units_line} |
| \`podium import\` of a ${lenex_mb} MB Lenex meet (2000 athletes, 6000 results with splits) | $(printf '%.3f' "$lenex_mean") s: ${lenex_rate} MB/s, process start included |
TEXT
cat docs/bench-results.md
# report TITLE SCRIPT FILE: runs a benchmark script on the release build into docs/FILE.
report() {
    {
        echo "# $1"
        echo
        echo "$(date -u +%F), $(nproc) cores, release build; written by \`scripts/bench.sh\` (\`scripts/$2\`). See performance.md."
        echo
        python3 "scripts/$2" "$podium"
    } > "docs/$3"
    cat "docs/$3"
}
report "Live followers: capture to SSE" bench-follower-latency.py bench-followers.md
report "Enrichment by input length" bench-lengths.py bench-lengths.md
report "Results intake" bench-intake.py bench-intake.md
scripts/bench-ingest.sh
scripts/bench-enrich.sh
scripts/bench-api.sh
