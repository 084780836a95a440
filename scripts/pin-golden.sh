#!/usr/bin/env bash
# Pins a fixture's golden file from the current render: expected/frames.jsonl.zip, or
# expected/frames.TEMPLATE.jsonl.zip with a template. Run it only after reading the changed
# frames by hand (see the fixture's README); `podium check` then compares against it.
# Zipped with a fixed date, so the same render gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
fixture=${1:?usage: scripts/pin-golden.sh FIXTURE_DIR [TEMPLATE]}
template=${2:-}
swift build --product podium >/dev/null
podium=$(swift build --show-bin-path)/podium
name=frames${template:+.$template}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$podium" render "$fixture" ${template:+--template "$template"} --out "$work/$name.jsonl"
python3 - "$work/$name.jsonl" "$fixture/expected/$name.jsonl.zip" <<'PY'
import os, sys, zipfile
source, target = sys.argv[1], sys.argv[2]
entry = zipfile.ZipInfo(os.path.basename(source), date_time=(2026, 1, 1, 0, 0, 0))
entry.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(target, "w") as archive:
    archive.writestr(entry, open(source, "rb").read(), compresslevel=9)
PY
echo "pinned $fixture/expected/$name.jsonl.zip ($(wc -l < "$work/$name.jsonl") frames)"
