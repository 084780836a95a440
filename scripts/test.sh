#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Swift: installs what is missing, fuzzes
# every parser of outside bytes for a bounded time (60 s per target in CI, 10 s elsewhere;
# PODIUM_FUZZ_SECONDS overrides, 0 skips), then `swift test`, whose summary closes the output.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/install-tools.sh
default_seconds=10
[[ "${CI:-}" == "true" ]] && default_seconds=60
fuzz_seconds=${PODIUM_FUZZ_SECONDS:-$default_seconds}
fuzz_status=0
if (( fuzz_seconds > 0 )); then
    scripts/fuzz.sh "$fuzz_seconds" || fuzz_status=$?
fi
test_status=0
swift test "$@" || test_status=$?
if (( fuzz_status != 0 )); then
    echo "fuzz: a target failed (above); the suite fails with it"
    exit "$fuzz_status"
fi
exit "$test_status"
