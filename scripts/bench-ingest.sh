#!/usr/bin/env bash
# Ingest throughput: `podium probe` on a generated 60 s 1080p50 8 Mb/s H.264 + AAC MPEG-TS, next
# to `ffmpeg -i X -map 0 -c copy -f null -` on the same file in the same run, and the cost of the
# sei-timecode clock (which decodes every picture). Writes docs/bench-ingest.md.
# Reproducible: the input is generated the same way every run (x264 with one thread is bit-exact).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
podium=$(scripts/build-release.sh)

scripts/make-bench-input.sh "$work/input.ts"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$work/input.ts" | grep -m1 -E "^[0-9]+")
size_mb=$(du -m "$work/input.ts" | cut -f1)

hyperfine --warmup 1 --runs 10 --export-json "$work/probe.json" \
    "$podium probe $work/input.ts" \
    "ffmpeg -nostdin -v error -i $work/input.ts -map 0 -c copy -f null -" >/dev/null
hyperfine --warmup 1 --runs 3 --export-json "$work/sei.json" \
    "$podium probe $work/input.ts --clock-source sei-timecode --timecode-date 2026-07-31" >/dev/null

read -r probe_mean probe_sd ffmpeg_mean ffmpeg_sd sei_mean <<< "$(python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
runs = json.load(open(f"{work}/probe.json"))["results"]
sei = json.load(open(f"{work}/sei.json"))["results"][0]
print(runs[0]["mean"], runs[0]["stddev"], runs[1]["mean"], runs[1]["stddev"], sei["mean"])
PY
)"
rate() { python3 -c "print(round($frames / $1))"; }
cat > docs/bench-ingest.md <<TEXT
# Latest ingest benchmark

Written by \`scripts/bench-ingest.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), Swift release build.

Input: generated 60 s 1920×1080 50 fps H.264 (x264 ultrafast, 8 Mb/s) + AAC MPEG-TS, ${frames} frames, ${size_mb} MB.

| command | wall time (hyperfine) | frames/s |
| --- | --- | --- |
| \`podium probe input.ts\` (demux, unwrap, order, epochs, clock for every frame) | $(printf '%.3f' "$probe_mean") s ± $(printf '%.3f' "$probe_sd") s | $(rate "$probe_mean") |
| \`ffmpeg -i input.ts -map 0 -c copy -f null -\` (same file, same run) | $(printf '%.3f' "$ffmpeg_mean") s ± $(printf '%.3f' "$ffmpeg_sd") s | $(rate "$ffmpeg_mean") |
| \`podium probe input.ts --clock-source sei-timecode\` (decodes every picture for its timecode) | $(printf '%.2f' "$sei_mean") s | $(rate "$sei_mean") |

Podium / FFmpeg time ratio: $(python3 -c "print(round($probe_mean / $ffmpeg_mean, 2))").
TEXT
cat docs/bench-ingest.md
