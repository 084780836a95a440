#!/usr/bin/env python3
"""Many followers of one live Podium job, for the test and benchmark of live-push memory.

Opens SSE and WebSocket followers of /v1/jobs/JOB (all from the first frame), and followers that
stop reading (a small receive buffer, and nothing read until the job has ended). Reading
followers read until the job's `end`; each checks that its frames came in order without a gap.
Stalled followers read what is left in their buffers once the job has ended and report whether
the server had closed their connection and where their frames stopped.

Prints one JSON object: per kind, how many followers, how many saw every frame in order and the
end, the fewest and most frames seen; for stalled ones, how many the server closed.
Usage: followers.py PORT KEY JOB --sse N --ws N --stalled N [--seconds LIMIT] [--ready FILE]
"""
import argparse
import asyncio
import base64
import json
import os
import re
import resource
import socket
import struct
import sys
import time

SEQ = re.compile(rb'"seq":(\d+)\}$')
SSE_ID = re.compile(rb"^id: (\d+)$", re.M)


class Follower:
    def __init__(self, kind):
        self.kind = kind
        self.seqs_ok = True
        self.count = 0
        self.next = 0
        self.ended = False
        self.closed_by_server = False
        self.dropped = None
        self.error = None
        self.status = None
        self.closing = None  # a WebSocket close frame's payload
        self.pongs = []  # payloads of WebSocket pings not yet answered

    def saw(self, seq):
        if seq != self.next:
            self.seqs_ok = False
        self.next = seq + 1
        self.count += 1


class Parser:
    """Takes a connection's bytes as they come: the response head, then whole SSE events or
    WebSocket frames; a part not yet complete waits for the next bytes."""

    def __init__(self, follower):
        self.follower = follower
        self.buffer = b""
        self.message = b""

    def feed(self, data):
        self.buffer += data
        if self.follower.status is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.follower.status = self.buffer.split(b"\r\n", 1)[0].decode()
            self.buffer = self.buffer[end + 4:]
        if self.follower.kind.endswith("sse"):
            self.feed_events()
        else:
            self.feed_frames()

    def feed_events(self):
        # Chunked transfer coding: chunk sizes sit between events; only whole events count.
        *events, self.buffer = self.buffer.split(b"\n\n")
        for event in events:
            for match in SSE_ID.finditer(event):
                self.follower.saw(int(match.group(1)))
            self.message_seen(event, end=b"event: end", dropped=b"event: dropped")

    def feed_frames(self):
        at = 0
        while at + 2 <= len(self.buffer):
            first, second = self.buffer[at], self.buffer[at + 1]
            length, start = second & 0x7F, at + 2
            if length == 126:
                if at + 4 > len(self.buffer):
                    break
                length, start = struct.unpack(">H", self.buffer[at + 2:at + 4])[0], at + 4
            elif length == 127:
                if at + 10 > len(self.buffer):
                    break
                length, start = struct.unpack(">Q", self.buffer[at + 2:at + 10])[0], at + 10
            if start + length > len(self.buffer):
                break
            payload = self.buffer[start:start + length]
            if first & 0x0F in (0, 1):
                self.message += payload
                if first & 0x80:
                    match = SEQ.search(self.message)
                    if match:
                        self.follower.saw(int(match.group(1)))
                    else:
                        self.message_seen(self.message, end=b'"event":"end"', dropped=b'"event":"dropped"')
                    self.message = b""
            elif first & 0x0F == 8:
                self.follower.closing = payload
            elif first & 0x0F == 9:
                self.follower.pongs.append(payload)
            at = start + length
        self.buffer = self.buffer[at:]

    def message_seen(self, text, end, dropped):
        if end in text:
            self.follower.ended = True
        if dropped in text:
            self.follower.dropped = text


def masked(first, payload):
    """A client's WebSocket frame (first byte `first`, a payload under 126 bytes), masked with a
    zero key, which leaves the payload as it is."""
    return bytes([first, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def request(follower, job, key):
    if follower.kind.endswith("sse"):
        return f"GET /v1/jobs/{job}/events?after=-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    nonce = base64.b64encode(os.urandom(16)).decode()
    return (f"GET /v1/jobs/{job}/ws?after=-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {key}\r\n\r\n").encode()


async def follow(port, key, job, follower, gate=None):
    """Follows until the end (answering a WebSocket close, masked, as a client must). A follower
    with a `gate` stops reading: a 4 KiB receive buffer and nothing read until the gate opens;
    then it reads what is left for 10 s and whether the server had closed the connection."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if gate is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, request(follower, job, key))
    deadline = None
    if gate is not None:
        await gate.wait()
        deadline = time.monotonic() + 10
    parser = Parser(follower)
    try:
        while deadline is None or time.monotonic() < deadline:
            wait = None if deadline is None else max(0.01, deadline - time.monotonic())
            try:
                chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout=wait)
            except asyncio.TimeoutError:
                break
            if not chunk:
                follower.closed_by_server = True
                break
            parser.feed(chunk)
            # A WebSocket client answers pings, as browsers do (Podium does not wait on the pong;
            # other servers and proxies in front of it may).
            while follower.pongs:
                await loop.sock_sendall(sock, masked(0x8A, follower.pongs.pop(0)))
            if follower.status is not None and " 101 " not in follower.status and " 200 " not in follower.status:
                follower.error = follower.status
                break
            if follower.closing is not None and gate is None:
                await loop.sock_sendall(sock, masked(0x88, follower.closing[:2]))
                break
            if follower.ended and follower.kind == "sse":
                break
    except ConnectionResetError:
        follower.closed_by_server = True
    sock.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("key")
    parser.add_argument("job", type=int)
    parser.add_argument("--sse", type=int, default=0)
    parser.add_argument("--ws", type=int, default=0)
    parser.add_argument("--stalled", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--ready", help="a file written once every follower has connected")
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    readers = [Follower("sse") for _ in range(arguments.sse)] + [Follower("ws") for _ in range(arguments.ws)]
    stalled = [Follower("stalled-sse" if i % 2 == 0 else "stalled-ws") for i in range(arguments.stalled)]
    gate = asyncio.Event()  # stalled followers read nothing until the job has ended
    tasks = []
    for follower in readers + stalled:
        is_stalled = follower in stalled
        tasks.append(asyncio.create_task(follow(arguments.port, arguments.key, arguments.job, follower, gate if is_stalled else None)))
        await asyncio.sleep(0.001)
    if arguments.ready:
        with open(arguments.ready, "w") as ready:
            ready.write("connected\n")
    started = time.monotonic()
    reading = tasks[: len(readers)]
    done, pending = await asyncio.wait(reading, timeout=arguments.seconds)
    reading_seconds = time.monotonic() - started
    gate.set()
    if stalled:
        await asyncio.wait(tasks[len(readers):], timeout=30)
    for task in tasks:
        if not task.done():
            task.cancel()
        elif task.exception() is not None:
            pass

    summary = {"readingSeconds": round(reading_seconds, 1)}
    for kind in ["sse", "ws", "stalled-sse", "stalled-ws"]:
        group = [f for f in readers + stalled if f.kind == kind]
        if not group:
            continue
        summary[kind] = {
            "followers": len(group),
            "inOrder": sum(f.seqs_ok for f in group),
            "ended": sum(f.ended for f in group),
            "closedByServer": sum(f.closed_by_server for f in group),
            "droppedMessages": sum(f.dropped is not None for f in group),
            "errors": sorted({f.error for f in group if f.error}),
            # A WebSocket close frame's code and reason, as the server sent them.
            "closes": sorted({f"{struct.unpack('>H', f.closing[:2])[0]} {f.closing[2:].decode(errors='replace')}"
                              for f in group if f.closing and len(f.closing) >= 2}),
            "fewestFrames": min(f.count for f in group),
            "mostFrames": max(f.count for f in group),
        }
    for index, task in enumerate(tasks):
        if task.done() and not task.cancelled() and task.exception() is not None:
            summary.setdefault("exceptions", []).append(repr(task.exception()))
    json.dump(summary, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    asyncio.run(main())
