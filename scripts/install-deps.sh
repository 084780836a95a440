#!/usr/bin/env bash
# Installs the Debian packages Podium builds, tests and runs with, when any is missing.
# Safe to run again: it only calls apt-get when something is absent.
set -euo pipefail

packages=(
    libavformat-dev libavcodec-dev libavutil-dev libswscale-dev  # FFmpeg 5.1 libraries (MediaIO, Pictures)
    libsqlite3-dev sqlite3                                      # the job store (sqlite3 prints the demo URLs)
    zlib1g-dev                                                  # inflating gzip bodies and zipped Lenex (Feeds)
    libtcmalloc-minimal4                                        # TCMalloc, podium's allocator (see Package.swift)
    pkg-config                                                  # finds FFmpeg for SwiftPM
    ffmpeg                                                      # ffprobe for the tests, the fixture generator
    libxml2                                                     # FoundationXML (ODF parsing)
    python3 python3-jsonschema                                  # fixture generators; JSON Schema checks in the tests
    python3-venv                                                # the contract tests' tools (scripts/install-tools.sh)
    gstreamer1.0-plugins-base-apps gstreamer1.0-plugins-base    # gst-discoverer-1.0: a second, independent demuxer
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad          #   for every enriched output (qtdemux, flvdemux, tsdemux, hlsdemux)
    libcairo2-dev fonts-dejavu-core                             # previews: Cairo (FreeType, fontconfig) drawing in DejaVu Sans
    chromium                                                    # podium ograf render, and the tests of the web pages (headless)
    gir1.2-gst-rtsp-server-1.0 python3-gi                       # an RTSP camera with sender reports (scripts/rtsp-sender.py)
)
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(hyperfine wrk curl)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if (( ${#missing[@]} == 0 )); then
    exit 0
fi

echo "installing: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
