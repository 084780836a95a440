#!/usr/bin/env bash
# The JSON API under load: wrk against a page of 50 frames and against one frame, on a release
# build of `podium serve` holding the swimming fixture's job, next to a minimal Hummingbird route
# answering 1 KB of JSON (Benchmarks/MinimalServer), server and wrk on the same machine.
# Writes docs/bench-api.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench

work=$(mktemp -d)
cleanup() { kill "${server:-}" "${minimal:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
swift build -c release --package-path Benchmarks --product MinimalServer
podium=$(scripts/build-release.sh)
minimal_bin=$(swift build -c release --package-path Benchmarks --show-bin-path)/MinimalServer
fixture=fixtures/swim-100-free

"$podium" enrich "$fixture/clip.ts" --results "$fixture/results" --clock "$fixture/clock.json" --template swimming \
    --out "$work/out.ts" --database "$work/api.sqlite" >/dev/null
key=$("$podium" keys create --scope viewer --database "$work/api.sqlite" 2>/dev/null)
"$podium" serve --port 18180 --database "$work/api.sqlite" --rate-limit 1000000000 --rate-burst 1000000000 >"$work/serve.log" 2>&1 &
server=$!
"$minimal_bin" 18181 >"$work/minimal.log" 2>&1 &
minimal=$!
sleep 2

# wrk: 2 threads, 32 connections, 2 s warm-up then 15 s measured; prints requests/s and p99 (ms).
measure() {
    wrk -t2 -c32 -d2s -H "Authorization: Bearer $key" "$1" >/dev/null
    wrk -t2 -c32 -d15s --latency -H "Authorization: Bearer $key" "$1" > "$work/wrk.txt"
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    python3 - "$rps" "$p99" <<'PY'
import sys
rps, p99 = sys.argv[1], sys.argv[2]
unit = 1.0
for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
    if p99.endswith(suffix):
        value = float(p99[: -len(suffix)]) * factor
        break
print(round(float(rps)), round(value, 2))
PY
}
read -r page_rps page_p99 <<< "$(measure "http://127.0.0.1:18180/v1/jobs/1/frames?from=490&to=539")"
read -r one_rps one_p99 <<< "$(measure "http://127.0.0.1:18180/v1/jobs/1/frames/490")"
read -r min_rps min_p99 <<< "$(measure "http://127.0.0.1:18181/json")"
page_bytes=$(curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:18180/v1/jobs/1/frames?from=490&to=539" | wc -c)
one_bytes=$(curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:18180/v1/jobs/1/frames/490" | wc -c)
verdict() { python3 -c "print('met' if $1 >= 15000 and $2 <= 10 else 'not met')"; }

cat > docs/bench-api.md <<TEXT
# Latest API benchmark

Written by \`scripts/bench-api.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), Swift release build;
\`podium serve\` and wrk on the same machine. wrk: 2 threads, 32 connections, 15 s after a 2 s warm-up,
every request with a viewer key (looked up by digest in SQLite).

| route | response | requests/s | p99 | target (≥ 15,000/s, p99 ≤ 10 ms) |
| --- | --- | --- | --- | --- |
| \`GET /v1/jobs/1/frames?from=490&to=539\` (50 frames) | ${page_bytes} B | ${page_rps} | ${page_p99} ms | $(verdict "$page_rps" "$page_p99") |
| \`GET /v1/jobs/1/frames/490\` | ${one_bytes} B | ${one_rps} | ${one_p99} ms | $(verdict "$one_rps" "$one_p99") |
| minimal Hummingbird route, 1 KB of JSON (Benchmarks/MinimalServer) | 1 KB | ${min_rps} | ${min_p99} ms | (yardstick) |
TEXT
cat docs/bench-api.md
