#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Swift: installs what is missing, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/install-tools.sh
swift test "$@"
