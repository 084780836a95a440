#!/usr/bin/env python3
"""Sends an MPEG-TS file over UDP as a venue encoder would, and writes down when each frame truly left.

Podium's arrival clock is checked against this sender, which shares no code with Podium. It
paces 7-packet datagrams at the rate the stream's own PCRs state (linear between PCRs), with
what a real network adds:

  --ppm N        the sender's clock runs N parts per million fast against UTC
  --delay MS     each frame's datagrams are held up to MS ms (seeded, uniform), as queues on a
                 network path hold them; datagrams never overtake each other
  --jitter MS    each frame's datagrams leave up to ±MS ms off their due time (seeded,
                 uniform): a sender whose own timing wobbles, early as well as late
  --pause-at S --pause-for P
                 after S seconds of the stream, the sender stops for P seconds and then goes on
                 where it was (the stream's timestamps continue; capture times jump by P)

For every video frame (a PES start on the first video PID of the PMT) it writes one JSON line to
--truth: its PTS (90 kHz, as in the stream); `clock`, the frame's true time: the UTC at which the
sender's clock reached the frame (the sender's clock is the PCR timeline, run N ppm fast and
stopped during a pause; a frame's point on it is its PTS less the stream's median lead of PTS
over the PCR at its first byte); `due`, when its first datagram was due without jitter (this
scatters about `clock` by the frame's size: a large keyframe pushes the next frames' first
bytes late); `sent`, when that datagram really left; and `lastSent`, when the datagram with the
frame's last byte left (no receiver can have the whole frame before).
"""
import argparse
import json
import random
import socket
import struct
import time

TS = 188
PER_DATAGRAM = 7
VIDEO_STREAM_TYPES = {0x01, 0x02, 0x1B, 0x24, 0x10, 0x42, 0xD1, 0xEA}


def packets(data):
    for offset in range(0, len(data) - TS + 1, TS):
        packet = data[offset:offset + TS]
        if packet[0] != 0x47:
            raise SystemExit(f"byte {offset} is not a TS sync byte: the input is not 188-byte MPEG-TS")
        yield packet


def payload(packet):
    control = (packet[3] >> 4) & 3
    start = 4
    if control & 2:
        start += 1 + packet[4]
    return packet[start:] if control & 1 else b""


def pid_of(packet):
    return ((packet[1] & 0x1F) << 8) | packet[2]


def pcr_of(packet):
    if not (packet[3] & 0x20) or packet[4] < 7 or not (packet[5] & 0x10):
        return None
    b = packet[6:12]
    base = (b[0] << 25) | (b[1] << 17) | (b[2] << 9) | (b[3] << 1) | (b[4] >> 7)
    extension = ((b[4] & 1) << 8) | b[5]
    return (base * 300 + extension) / 27_000_000


def section(packet):
    body = payload(packet)
    if not (packet[1] & 0x40) or not body:
        return None
    return body[1 + body[0]:]


def video_pid(all_packets):
    program_map_pids = set()
    for packet in all_packets:
        pid = pid_of(packet)
        table = section(packet)
        if table is None:
            continue
        if pid == 0 and table[0] == 0:
            length = ((table[1] & 0x0F) << 8) | table[2]
            entries = table[8:3 + length - 4]
            for i in range(0, len(entries), 4):
                number = (entries[i] << 8) | entries[i + 1]
                if number:
                    program_map_pids.add(((entries[i + 2] & 0x1F) << 8) | entries[i + 3])
        elif pid in program_map_pids and table[0] == 2:
            length = ((table[1] & 0x0F) << 8) | table[2]
            info = ((table[10] & 0x0F) << 8) | table[11]
            position, end = 12 + info, 3 + length - 4
            while position + 5 <= end:
                stream_type = table[position]
                elementary = ((table[position + 1] & 0x1F) << 8) | table[position + 2]
                if stream_type in VIDEO_STREAM_TYPES:
                    return elementary
                position += 5 + (((table[position + 3] & 0x0F) << 8) | table[position + 4])
    raise SystemExit("no video stream in the PMT")


def pes_pts(packet):
    body = payload(packet)
    if len(body) < 14 or body[0:3] != b"\x00\x00\x01" or not (body[7] & 0x80):
        return None
    p = body[9:14]
    return ((p[0] >> 1) & 7) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1


def schedule(all_packets):
    """Seconds, on the stream's own clock, at which each packet is due: linear between PCRs."""
    marks = [(index, pcr) for index, packet in enumerate(all_packets) if (pcr := pcr_of(packet)) is not None]
    if len(marks) < 2:
        raise SystemExit("fewer than two PCRs: the stream states no rate to pace it at")
    due = [0.0] * len(all_packets)
    mark = 0
    for index in range(len(all_packets)):
        while mark + 2 < len(marks) and marks[mark + 1][0] <= index:
            mark += 1
        (i0, t0), (i1, t1) = marks[mark], marks[mark + 1]
        if t1 < t0:
            t1 += (2 ** 33) * 300 / 27_000_000
        due[index] = t0 + (index - i0) * (t1 - t0) / (i1 - i0)
    start = due[0]
    return [d - start for d in due]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ppm", type=float, default=0)
    parser.add_argument("--delay", type=float, default=0, help="most milliseconds a frame is held up")
    parser.add_argument("--jitter", type=float, default=0, help="milliseconds either way")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--pause-at", type=float)
    parser.add_argument("--pause-for", type=float, default=0)
    parser.add_argument("--start-in", type=float, default=0.5, help="seconds before the first datagram")
    parser.add_argument("--truth", required=True)
    arguments = parser.parse_args()

    with open(arguments.file, "rb") as source:
        all_packets = list(packets(source.read()))
    video = video_pid(all_packets)
    due = schedule(all_packets)
    rate = 1 + arguments.ppm / 1_000_000
    randomness = random.Random(arguments.seed)

    datagrams = []
    frames = []
    offset = 0.0
    for first in range(0, len(all_packets), PER_DATAGRAM):
        group = all_packets[first:first + PER_DATAGRAM]
        for packet in group:
            if pid_of(packet) == video and packet[1] & 0x40 and (pts := pes_pts(packet)) is not None:
                frames.append({"pts": pts, "datagram": len(datagrams), "last": len(datagrams)})
                offset = (randomness.uniform(-arguments.jitter, arguments.jitter) + randomness.uniform(0, arguments.delay)) / 1000
            elif pid_of(packet) == video and frames:
                frames[-1]["last"] = len(datagrams)
        datagrams.append((b"".join(group), due[first], offset))

    # The frames' line on the sender's clock: PTS (unwrapped) less the largest lead of PTS over
    # the PCR timeline at a frame's first byte (the frame whose bytes left earliest for its PTS
    # bounds when every frame can have been captured).
    wrap, last, unwrapped = 0, None, []
    for frame in frames:
        if last is not None and frame["pts"] + wrap < last - 2 ** 32:
            wrap += 2 ** 33
        last = frame["pts"] + wrap
        unwrapped.append(last / 90000)
    lead = max((seconds - datagrams[frame["datagram"]][1] for frame, seconds in zip(frames, unwrapped)), default=0)

    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    origin = time.time() + arguments.start_in
    paused = 0.0
    previous = 0.0
    due_at, sent_at, paused_at = [], [], []
    for data, stream_seconds, jitter in datagrams:
        if arguments.pause_at is not None and not paused and stream_seconds >= arguments.pause_at:
            paused = arguments.pause_for
        paused_at.append(paused)
        planned = origin + (stream_seconds + paused) * rate
        target = max(planned + jitter, previous)
        wait = target - time.time()
        if wait > 0:
            time.sleep(wait)
        previous = time.time()
        sender.sendto(data, (arguments.host, arguments.port))
        due_at.append(planned)
        sent_at.append(previous)

    with open(arguments.truth, "w") as truth:
        for frame, seconds in zip(frames, unwrapped):
            index = frame["datagram"]
            clock = origin + (seconds - lead + paused_at[index]) * rate
            truth.write(json.dumps({
                "pts": frame["pts"], "clock": clock, "due": due_at[index], "sent": sent_at[index], "lastSent": sent_at[frame["last"]],
            }) + "\n")


if __name__ == "__main__":
    main()
