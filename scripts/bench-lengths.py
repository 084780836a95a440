#!/usr/bin/env python3
"""Enrichment against FFmpeg's stream copy by input length: wall time, CPU time and peak memory.

Makes its own inputs with FFmpeg's test sources: 60 s of H.264 1080p50 (x264 veryfast, B-frames,
8 Mb/s, 4 Mb buffer, GOP 50) and of HEVC 720p59.94 (x265 ultrafast, open GOP), each with AAC, then
longer inputs by joining copies of them (stream copy) and a 10 s cut. On each input it runs, in
alternation for --pairs pairs, `podium enrich INPUT --template swimming` (the swimming fixture's
results and clock, timed ID3 per frame, SQLite) and `ffmpeg -i INPUT -map 0 -c copy -f mpegts`,
each into a fresh output, measuring the wall time, the CPU time (user + system, from the child's
rusage) and the peak resident memory (rusage's maxrss). Prints a Markdown table: per input the
median of each figure and the medians of the pairs' ratios, with the load average.

Usage: bench-lengths.py PODIUM_BINARY [--pairs 3] [--lengths 10 60 300 1200]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "fixtures/swim-100-free")


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *arguments], check=True)


def make_inputs(folder, lengths):
    """(name, seconds, path) for every codec and length."""
    codecs = [
        ("H.264 1080p50", ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "4M", "-g", "50"],
         "1920x1080", "50"),
        ("HEVC 720p59.94", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-b:v", "4M", "-g", "60"],
         "1280x720", "60000/1001"),
    ]
    made = []
    for name, codec, size, rate in codecs:
        base = os.path.join(folder, name.split()[0] + "-60.ts")
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration=60", "-f", "lavfi",
               "-i", "sine=frequency=440:duration=60", *codec, "-c:a", "aac", "-f", "mpegts", base)
        for seconds in lengths:
            path = os.path.join(folder, f"{name.split()[0]}-{seconds}.ts")
            if seconds < 60:
                ffmpeg("-i", base, "-t", str(seconds), "-map", "0", "-c", "copy", "-f", "mpegts", path)
            elif seconds > 60:
                listing = path + ".txt"
                with open(listing, "w") as out:
                    out.write(f"file '{base}'\n" * (seconds // 60))
                ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-map", "0", "-c", "copy", "-f", "mpegts", path)
            else:
                path = base
            made.append((name, seconds, path))
    return made


def run(command):
    """(wall seconds, CPU seconds, peak resident KiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("podium")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 60, 300, 1200])
    arguments = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="podium-lengths-")
    rows = []
    try:
        for name, seconds, path in make_inputs(folder, arguments.lengths):
            podium_out, ffmpeg_out = os.path.join(folder, "podium.ts"), os.path.join(folder, "ffmpeg.ts")
            database = os.path.join(folder, "bench.sqlite")
            enrich = [arguments.podium, "enrich", path, "--results", os.path.join(FIXTURE, "results"), "--clock",
                      os.path.join(FIXTURE, "clock.json"), "--template", "swimming", "--out", podium_out, "--database", database]
            copy = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-map", "0", "-c", "copy", "-f", "mpegts", ffmpeg_out]
            pairs, loads = [], []
            for _ in range(arguments.pairs):
                loads.append(os.getloadavg()[0])
                for leftover in (database, database + "-wal", database + "-shm"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
                pairs.append((run(enrich), run(copy)))
            for leftover in (podium_out, ffmpeg_out):
                os.remove(leftover)
            rows.append((name, seconds, pairs, loads))
            if seconds > 60:
                os.remove(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("| input | length | podium wall | ffmpeg wall | wall ratio | podium CPU | ffmpeg CPU | CPU ratio "
          "| podium peak RSS | ffmpeg peak RSS | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, seconds, pairs, loads in rows:
        def median(side, index):
            return statistics.median(pair[side][index] for pair in pairs)
        wall_ratio = statistics.median(p[0] / f[0] for p, f in pairs)
        cpu_ratio = statistics.median(p[1] / f[1] for p, f in pairs)
        print(f"| {name} | {seconds} s | {median(0, 0):.3f} s | {median(1, 0):.3f} s | {wall_ratio:.2f} | {median(0, 1):.3f} s | "
              f"{median(1, 1):.3f} s | {cpu_ratio:.2f} | {median(0, 2) / 1024:.1f} MiB | {median(1, 2) / 1024:.1f} MiB | "
              f"{min(loads):.2f}–{max(loads):.2f} |")


if __name__ == "__main__":
    main()
