#!/usr/bin/env bash
# Writes the benchmarks' input to $1: 60 s 1920x1080 50 fps H.264 (x264 ultrafast, one thread,
# so bit-exact every run, 8 Mb/s) + AAC in MPEG-TS.
set -euo pipefail
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=50:duration=60" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=60" \
    -c:v libx264 -preset ultrafast -threads 1 -b:v 8M -maxrate 8M -bufsize 16M -g 50 \
    -c:a aac -b:a 128k -f mpegts "$1"
