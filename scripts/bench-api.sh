#!/usr/bin/env bash
# The JSON API under load: each route against /healthz on the same release-built `podium serve`,
# alternated, on stores of 1 and 1,000 jobs the benchmark makes itself (scripts/bench-api.py).
# Writes docs/bench-api.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
podium=$(scripts/build-release.sh)
{
    echo "# Latest API benchmark"
    echo
    echo "Written by \`scripts/bench-api.sh\` (part of \`make bench\`) on $(date -u +%F), $(nproc) cores, $(uname -m), Swift release build;"
    echo "\`podium serve\` and wrk on the same machine. Every request carries a viewer key. See performance.md."
    echo
    python3 scripts/bench-api.py "$podium"
} > docs/bench-api.md
cat docs/bench-api.md
