#!/usr/bin/env bash
# The soak benchmark (`make soak`): one live job, `podium enrich` on a looping UDP input (the
# bundled fixture sent in real time by FFmpeg, forever) into a UDP output, for SOAK_MINUTES
# (default 30). Every 30 s it samples the job's resident memory, open files, threads and
# database size into docs/soak.csv; it fails when RSS at the end is more than 5 % above RSS at
# 5 minutes (the first minutes fill caches and the SQLite page cache on purpose).
# Not part of scripts/test.sh: it takes as long as it is told to.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
minutes=${SOAK_MINUTES:-30}
interval=${SOAK_INTERVAL_SECONDS:-30}
configuration=${SOAK_BUILD:-release}
swift build -c "$configuration" --product podium
podium="$(swift build -c "$configuration" --show-bin-path)/podium"
work=$(mktemp -d)
csv=${SOAK_CSV:-docs/soak.csv}
input_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
output_port=$((input_port + 1))
fixture=fixtures/swim-100-free
job=""
sender=""
trap 'kill $sender $job 2>/dev/null || true; rm -rf "$work"' EXIT
"$podium" enrich "udp://127.0.0.1:$input_port" --results "$fixture/results" --clock-source arrival \
    --out "udp://127.0.0.1:$output_port" --database "$work/podium.sqlite" --read-timeout 10 > "$work/enrich.log" 2>&1 &
job=$!
sleep 1
ffmpeg -hide_banner -v error -re -stream_loop -1 -i "$fixture/clip.ts" -map 0 -c copy -f mpegts \
    "udp://127.0.0.1:$input_port?pkt_size=1316" > "$work/sender.log" 2>&1 &
sender=$!

echo "minute,rss_kib,open_files,threads,database_bytes" > "$csv"
samples=$(( minutes * 60 / interval ))
baseline=""
for (( i = 0; i <= samples; i++ )); do
    if ! kill -0 "$job" 2>/dev/null; then
        echo "soak: the job ended early:"; tail -20 "$work/enrich.log"; exit 1
    fi
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$job/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$job/status")
    files=$(ls "/proc/$job/fd" | wc -l)
    database=$(cat "$work"/podium.sqlite* 2>/dev/null | wc -c)
    minute=$(awk -v s=$(( i * interval )) 'BEGIN { printf "%.1f", s / 60 }')
    echo "$minute,$rss,$files,$threads,$database" | tee -a "$csv"
    if [[ -z "$baseline" ]] && (( i * interval >= 300 )); then baseline=$rss; fi
    (( i < samples )) && sleep "$interval"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ -z "$baseline" ]]; then
    echo "soak: $minutes minutes is too short to judge growth (RSS is judged from minute 5); load $load"
    exit 0
fi
growth=$(awk -v a="$baseline" -v b="$rss" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo "soak: RSS $baseline KiB at minute 5, $rss KiB at minute $minutes: ${growth} % (limit 5 %); load $load"
awk -v g="$growth" 'BEGIN { exit !(g <= 5) }' || { echo "soak: RSS grew more than 5 %"; exit 1; }
