#!/usr/bin/env bash
# The demo, from a fresh Debian machine with Swift: installs what is missing, builds, enriches the
# bundled fixture, records the job in var/podium.sqlite and serves the API on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${PODIUM_HOST:-127.0.0.1}
port=${PODIUM_PORT:-8080}
database=${PODIUM_DATABASE:-var/podium.sqlite}
fixture=fixtures/swim-100-free

scripts/install-deps.sh
swift build --product podium
podium=$(swift build --show-bin-path)/podium
mkdir -p var
"$podium" enrich "$fixture/clip.ts" --results "$fixture/results" --clock "$fixture/clock.json" \
    --template swimming --camera "$fixture/camera.jsonl" --lens "$fixture/lens.json" \
    --out var/swim-100-free.enriched.ts --database "$database"
job=$(sqlite3 "$database" "SELECT max(id) FROM job")
key=$("$podium" keys create --scope viewer --owner demo --database "$database" 2>/dev/null)
designer=$("$podium" keys create --scope designer --owner demo --database "$database" 2>/dev/null)
cat <<TEXT

Podium is starting on http://$host:$port — try:
  curl http://$host:$port/healthz
  curl -H 'Authorization: Bearer $key' http://$host:$port/v1/jobs/$job
  curl -H 'Authorization: Bearer $key' 'http://$host:$port/v1/jobs/$job/frames?from=490&to=492'
  curl -H 'Authorization: Bearer $key' 'http://$host:$port/v1/jobs/$job/frames?from=490&to=490&asOf=latest'
  curl -H 'Authorization: Bearer $key' -o frame-490.png 'http://$host:$port/v1/jobs/$job/frames/490/preview.png'
and in a browser, the fixture with its overlays:
  http://$host:$port/viewer#key=$designer&fixture=swim-100-free&template=swimming&frame=490
(a viewer and a designer key were just made for you; frame 490 is the winner's touch, which aired
before its result arrived: compare asOf=aired with asOf=latest. Ctrl-C stops the server)

TEXT
exec "$podium" serve --hostname "$host" --port "$port" --database "$database"
