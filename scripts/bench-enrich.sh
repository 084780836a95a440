#!/usr/bin/env bash
# Enriched output: `podium enrich` with timed ID3 per frame and the swimming template on a
# generated 60 s 1080p50 8 Mb/s H.264 + AAC MPEG-TS, next to `ffmpeg -i X -map 0 -c copy -f mpegts`
# on the same file in the same run; then the added latency per packet of a live job (UDP in,
# UDP out, look-ahead 0) fed by `ffmpeg -re`. Writes docs/bench-enrich.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench

work=$(mktemp -d)
trap 'pkill -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
podium=$(scripts/build-release.sh)
fixture=fixtures/swim-100-free

scripts/make-bench-input.sh "$work/input.ts"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$work/input.ts" | grep -m1 -E "^[0-9]+")
enrich="$podium enrich $work/input.ts --results $fixture/results --clock $fixture/clock.json --template swimming --out $work/podium.ts --database $work/bench.sqlite"
hyperfine --warmup 1 --runs 10 --prepare "rm -f $work/bench.sqlite* $work/podium.ts $work/ffmpeg.ts" --export-json "$work/enrich.json" \
    "$enrich" \
    "ffmpeg -nostdin -v error -y -i $work/input.ts -map 0 -c copy -f mpegts $work/ffmpeg.ts" >/dev/null
# The same two commands alternated, 30 pairs: the ratio the target is judged by (see the script).
read -r pair_podium pair_ffmpeg pair_ratio pair_lowest pair_highest <<< "$(scripts/interleaved-ratio.py 30 \
    "rm -f $work/bench.sqlite* $work/podium.ts $work/ffmpeg.ts" "$enrich" \
    "ffmpeg -nostdin -v error -y -i $work/input.ts -map 0 -c copy -f mpegts $work/ffmpeg.ts")"

# Live: ffmpeg -re pushes the same file over UDP; Podium enriches it into a UDP output nobody
# listens to (UDP does not wait for a receiver) and reports the added latency per packet.
live() {
    local carriers=$1 input_port=$2 output_port=$3
    rm -f "$work/live.sqlite"*
    "$podium" enrich "udp://127.0.0.1:$input_port" --results "$fixture/results" --clock-source arrival --template swimming \
        --carrier "$carriers" --lookahead 0 --out "udp://127.0.0.1:$output_port" --database "$work/live.sqlite" \
        --read-timeout 2 > "$work/live-$carriers.txt" 2>&1 &
    local job=$!
    sleep 1
    ffmpeg -nostdin -v error -re -i "$work/input.ts" -map 0 -c copy -f mpegts "udp://127.0.0.1:$input_port?pkt_size=1316"
    sleep 1
    kill -INT "$job"
    wait "$job" || true
    grep -o "p50 [0-9]* µs, p99 [0-9]* µs" "$work/live-$carriers.txt" | head -1 | awk '{print $2, $5}'
}
read -r id3_p50 id3_p99 <<< "$(live id3 47001 47002)"
read -r both_p50 both_p99 <<< "$(live id3,sei 47003 47004)"

read -r podium_mean podium_sd ffmpeg_mean ffmpeg_sd <<< "$(python3 - "$work" <<'PY'
import json, sys
runs = json.load(open(f"{sys.argv[1]}/enrich.json"))["results"]
print(runs[0]["mean"], runs[0]["stddev"], runs[1]["mean"], runs[1]["stddev"])
PY
)"
rate() { python3 -c "print(round($frames / $1))"; }
ratio=$(python3 -c "print(f'{$podium_mean / $ffmpeg_mean:.2f}')")
cat > docs/bench-enrich.md <<TEXT
# Latest enriched-output benchmark

Written by \`scripts/bench-enrich.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), Swift release build (\`scripts/build-release.sh\`: static Swift runtime).

Input: generated 60 s 1920×1080 50 fps H.264 (x264 ultrafast, 8 Mb/s) + AAC MPEG-TS, ${frames} frames.

| command | wall time (hyperfine, 10 runs) | frames/s |
| --- | --- | --- |
| \`podium enrich input.ts --template swimming --out podium.ts\` (ID3 per frame, SQLite, corrections) | $(printf '%.3f' "$podium_mean") s ± $(printf '%.3f' "$podium_sd") s | $(rate "$podium_mean") |
| \`ffmpeg -i input.ts -map 0 -c copy -f mpegts ffmpeg.ts\` (same file, same run) | $(printf '%.3f' "$ffmpeg_mean") s ± $(printf '%.3f' "$ffmpeg_sd") s | $(rate "$ffmpeg_mean") |

Podium / FFmpeg time ratio of the hyperfine means: ${ratio}. The two commands alternated, 30
pairs (\`scripts/interleaved-ratio.py\`; on a shared two-core machine the load drifts between
hyperfine's two blocks of runs): medians $(printf '%.3f' "$pair_podium") s and $(printf '%.3f' "$pair_ffmpeg") s, ratio
**${pair_ratio}** (lowest pair ${pair_lowest}, highest ${pair_highest}; target: at most 1.0).

Live job, \`ffmpeg -re\` → UDP → \`podium enrich --lookahead 0\` → UDP, added latency per packet
(from the moment Podium read it to the moment its output wrote it; a frame interval is 20,000 µs):

| carriers | p50 | p99 |
| --- | --- | --- |
| id3 | ${id3_p50} µs | ${id3_p99} µs |
| id3,sei | ${both_p50} µs | ${both_p99} µs |
TEXT
cat docs/bench-enrich.md
