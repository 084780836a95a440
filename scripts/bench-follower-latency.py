#!/usr/bin/env python3
"""How late a live job's frames reach its Server-Sent Events followers.

Generates its own inputs with FFmpeg's test sources (H.264 1080p50 8 Mb/s of 10 s and 30 s, and
HEVC 720p59.94 of 10 s, each with AAC), then for each input and each follower count N (--followers)
starts `podium serve` on a scratch database with the swimming fixture's start list, starts a
live job on a UDP input with the arrival clock, follows it with N SSE clients, and sends the
input with scripts/paced-ts-sender.py in real time. For every frame each follower receives,
the latency is the time it was received less the frame's `captureUTC` (on loopback with the
arrival clock and no --latency, capture is when the frame's first byte arrived, so this is
Podium's own delay: the rest of the frame's bytes, the demuxer, carrying, the store's write,
the push).

Beside that, per frame, the time from when its last byte left the sender (on loopback, when the
whole frame was in: nothing can carry a frame before) to when a follower received it: Podium's
own part, without the stream's own buffering (a transport stream sends each frame ahead of or
behind its timestamp by what its encoder's rate buffer holds; a large keyframe takes tens of
milliseconds on the wire).

Runs --rounds rounds, alternating the inputs and the follower counts within each round so a
change in the machine's load falls on all of them, and prints per input and count the median
over the rounds of each run's p50 and p99 (over every frame, and over the steady part: after the
first second, the last frame aside), with the load average seen at the runs' starts.

Usage: bench-follower-latency.py PODIUM_BINARY [--followers 1 100] [--rounds 3]
"""
import argparse
import asyncio
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import re
import urllib.request

from benchserver import free_port, serving

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT = "SWMM100MFR------------FNL-000100--"
SEQ = re.compile(rb"id: (\d+)")
PTS = re.compile(rb'"pts":(\d+)')


def request(port, method, path, key, body=None, content_type="application/json"):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def seconds(iso):
    whole, fraction = iso.rstrip("Z").split(".")
    stamp = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp() + float("0." + fraction)


async def follow(port, key, job, latencies, ready):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /v1/jobs/{job}/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
    await writer.drain()
    ready.release()
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        received = time.time()
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            if b"event: end" in event:
                writer.close()
                return
            start = event.find(b'"captureUTC":"')
            if b"event: frame" in event and start >= 0:
                capture = event[start + 14:event.index(b'"', start + 14)].decode()
                seq = int(SEQ.search(event).group(1))
                pts = int(PTS.search(event).group(1))
                latencies.append((seq, received - seconds(capture), pts, received))
    writer.close()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(podium, clip, count, length):
    work = tempfile.mkdtemp(prefix="podium-latency-")
    database = os.path.join(work, "bench.sqlite")
    keys = {}
    for scope in ("broadcaster", "feed", "viewer"):
        keys[scope] = subprocess.run(
            [podium, "keys", "create", "--scope", scope, "--owner", "bench", "--database", database],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    input_port = free_port()
    with serving(podium, database) as port:
        start_list = open(os.path.join(ROOT, "fixtures/swim-100-free/results/02-DT_RESULT-START_LIST.xml"), "rb").read()
        request(port, "POST", "/v1/feeds/odf", keys["feed"], start_list, "application/xml")
        job = request(port, "POST", "/v1/jobs", keys["broadcaster"], json.dumps({
            "input": f"udp://127.0.0.1:{input_port}", "clock": {"source": "arrival"},
            "results": {"source": "feeds", "unit": UNIT}, "hls": {},
        }))["id"]
        latencies = []
        ready = asyncio.Semaphore(0)
        followers = [asyncio.create_task(follow(port, keys["viewer"], job, latencies, ready)) for _ in range(count)]
        for _ in range(count):
            await ready.acquire()
        truth = os.path.join(work, "truth.jsonl")
        sender = await asyncio.create_subprocess_exec(
            sys.executable, os.path.join(ROOT, "scripts/paced-ts-sender.py"), clip, "--port", str(input_port), "--truth", truth,
        )
        await sender.wait()
        await asyncio.sleep(1)
        request(port, "DELETE", f"/v1/jobs/{job}", keys["broadcaster"])
        await asyncio.wait(followers, timeout=length + 30)
        # When each frame's last byte left the sender (on loopback: when it arrived), by PTS.
        with open(truth) as lines:
            complete = {entry["pts"] % 2 ** 33: entry["lastSent"] for entry in map(json.loads, lines)}
        return [(seq, latency, received - complete[pts % 2 ** 33]) for seq, latency, pts, received in latencies if pts % 2 ** 33 in complete]


def make_inputs(folder):
    """The held-out inputs: (name, path, seconds)."""
    inputs = [
        ("H.264 1080p50 10 s", 10, ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "4M", "-g", "50"], "1920x1080", "50"),
        ("H.264 1080p50 30 s", 30, ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "4M", "-g", "50"], "1920x1080", "50"),
        ("HEVC 720p59.94 10 s", 10, ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-b:v", "4M", "-g", "60"],
         "1280x720", "60000/1001"),
    ]
    made = []
    for name, length, codec, size, rate in inputs:
        path = os.path.join(folder, re.sub(r"[^A-Za-z0-9]+", "-", name) + ".ts")
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={length}",
             "-f", "lavfi", "-i", f"sine=frequency=440:duration={length}", *codec, "-c:a", "aac", "-f", "mpegts", path],
            check=True,
        )
        made.append((name, path, length))
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("podium")
    parser.add_argument("--followers", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    inputs = make_inputs(tempfile.mkdtemp(prefix="podium-latency-inputs-"))
    results = {}
    for _ in range(arguments.rounds):
        for name, path, length in inputs:
            for count in arguments.followers:
                load = os.getloadavg()[0]
                received = asyncio.run(run(arguments.podium, path, count, length))
                entry = results.setdefault((name, count), {"every": [], "steady": [], "own": [], "load": [], "frames": []})
                entry["load"].append(load)
                if not received:
                    continue
                every = [latency for _, latency, _ in received]
                # After the first second and before the last frame, which waits for the input to
                # fall silent (the demuxer hands a packet out only once the next begins).
                last = max(seq for seq, _, _ in received)
                steady = [latency for seq, latency, _ in received if 50 <= seq < last]
                own = [after for seq, _, after in received if 50 <= seq < last]
                entry["every"].append((percentile(every, 0.5), percentile(every, 0.99)))
                entry["steady"].append((percentile(steady, 0.5), percentile(steady, 0.99)))
                entry["own"].append((percentile(own, 0.5), percentile(own, 0.99)))
                entry["frames"].append(len(every) // count)
    print("| input | followers | frames per follower | capture → follower p50 | p99 | steady p50 | steady p99 "
          "| whole frame in → follower, steady p50 | p99 | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (name, count), entry in results.items():
        if not entry["every"]:
            print(f"| {name} | {count} | no frame arrived | | | | | | | |")
            continue
        def median(pairs, index):
            return statistics.median(pair[index] for pair in pairs) * 1000
        print(f"| {name} | {count} | {min(entry['frames'])}–{max(entry['frames'])} | {median(entry['every'], 0):.1f} ms | "
              f"{median(entry['every'], 1):.1f} ms | {median(entry['steady'], 0):.1f} ms | {median(entry['steady'], 1):.1f} ms | "
              f"{median(entry['own'], 0):.1f} ms | {median(entry['own'], 1):.1f} ms | "
              f"{min(entry['load']):.2f}–{max(entry['load']):.2f} |")

if __name__ == "__main__":
    main()
