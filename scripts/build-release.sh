#!/usr/bin/env bash
# Builds Podium's release binary as it is deployed and benchmarked, and prints its path:
# optimised, with the Swift runtime and Foundation linked in statically, so a start binds far
# fewer symbols across shared libraries (`podium --help`: 41 ms dynamic, 33 ms static).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product podium >&2
echo "$(swift build -c release --static-swift-stdlib --show-bin-path)/podium"
