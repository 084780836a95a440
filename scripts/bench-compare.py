#!/usr/bin/env python3
"""Compares two podium binaries on enrichment: wall and CPU time, alternated pairs.

Usage: bench-compare.py OLD_PODIUM NEW_PODIUM [--pairs 5] [--inputs h264:10 h264:60 hevc:10]

For a change that should not move the figures (a refactor), with both binaries built the same
way (scripts/build-release.sh in two worktrees). Makes its own inputs with FFmpeg's test
sources: H.264 1080p50 8 Mb/s + AAC of 10 and 60 s, and HEVC 720p59.94 + AAC of 10 s. Each
input is enriched with the swimming template and ID3 into MPEG-TS by OLD, then NEW, then OLD
..., and the script prints, per input, the median of NEW/OLD over the pairs for wall time and
for CPU time (user + system of the child), with the lowest and highest pair, and the machine's
load average before and after.
"""
import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "fixtures", "swim-100-free")


def make_input(path, codec, seconds):
    if codec == "h264":
        video = ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=50:duration={seconds}",
                 "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M", "-g", "50"]
    else:
        video = ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=60000/1001:duration={seconds}",
                 "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:pools=1", "-b:v", "4M"]
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-c:a", "aac", "-b:a", "128k"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *video[:4], *audio[:4], *video[4:], *audio[4:], "-f", "mpegts", path], check=True)


def run(podium, source, work):
    for name in os.listdir(work):
        if name.startswith("out") or name.startswith("bench.sqlite"):
            os.remove(os.path.join(work, name))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([podium, "enrich", source, "--results", os.path.join(FIXTURE, "results"), "--clock", os.path.join(FIXTURE, "clock.json"),
                    "--template", "swimming", "--out", os.path.join(work, "out.ts"), "--database", os.path.join(work, "bench.sqlite")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--inputs", nargs="+", default=["h264:10", "h264:60", "hevc:10"], help="CODEC:SECONDS, codec h264 or hevc")
    options = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as work:
        for codec, seconds in ((text.split(":")[0], int(text.split(":")[1])) for text in options.inputs):
            source = os.path.join(work, f"input-{codec}-{seconds}.ts")
            make_input(source, codec, seconds)
            run(options.old, source, work)
            run(options.new, source, work)
            walls, cpus = [], []
            for _ in range(options.pairs):
                old = run(options.old, source, work)
                new = run(options.new, source, work)
                walls.append(new[0] / old[0])
                cpus.append(new[1] / old[1])
            print(f"{codec} {seconds} s: wall new/old median {statistics.median(walls):.3f} (pairs {min(walls):.3f}–{max(walls):.3f}); "
                  f"CPU new/old median {statistics.median(cpus):.3f} (pairs {min(cpus):.3f}–{max(cpus):.3f})")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
