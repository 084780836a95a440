#!/usr/bin/env python3
"""The JSON API under load, each route against `/healthz` on the same server in the same run.

Makes its own stores: the swimming fixture enriched once by PODIUM (600 frames, the swimming
template), then a copy of that store holding 1,000 jobs (the job row copied 999 times, with
alternating states and owners, so lists and filters have something to page through). For each
store it starts `podium serve` and measures, with wrk (2 threads, 32 connections, a 1 s warm-up,
then --seconds measured), every route next to `/healthz`: the two alternate, --rounds pairs per
route, so a change in the machine's load falls on both. Prints a Markdown table: per store and
route the median requests/s and p99 of the route and of `/healthz`, and the median of the
pairs' ratios (`/healthz` requests/s over the route's; goal ≤ 1.3), with the load average.

Usage: bench-api.py PODIUM_BINARY [--rounds 3] [--seconds 5]
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request

from benchserver import serving

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUTES = [
    "/v1/jobs",
    "/v1/jobs?limit=20&state=completed",
    "/v1/jobs/1",
    "/v1/jobs/1/frames/490",
    "/v1/jobs/1/frames?from=490&to=539",
]


def make_stores(podium, folder):
    """(name, database path, viewer key) for a store with one job and one with 1,000."""
    fixture = os.path.join(ROOT, "fixtures/swim-100-free")
    one = os.path.join(folder, "one.sqlite")
    subprocess.run(
        [podium, "enrich", os.path.join(fixture, "clip.ts"), "--results", os.path.join(fixture, "results"),
         "--clock", os.path.join(fixture, "clock.json"), "--template", "swimming", "--out", os.path.join(folder, "out.ts"),
         "--database", one],
        check=True, capture_output=True, cwd=ROOT,
    )
    many = os.path.join(folder, "many.sqlite")
    # Through SQLite's backup: the store's newest pages may still be in its write-ahead log.
    db = sqlite3.connect(many)
    source = sqlite3.connect(one)
    source.backup(db)
    source.close()
    columns = [row[1] for row in db.execute("PRAGMA table_info(job)") if row[1] not in ("id", "state", "owner")]
    names = ", ".join(columns)
    for index in range(999):
        db.execute(
            f"INSERT INTO job ({names}, state, owner) SELECT {names}, ?, ? FROM job WHERE id = 1",
            (["completed", "stopped", "failed"][index % 3], f"channel-{index % 7}"),
        )
    db.commit()
    db.close()
    stores = []
    for name, path in (("1 job", one), ("1,000 jobs", many)):
        key = subprocess.run(
            [podium, "keys", "create", "--scope", "viewer", "--owner", "bench", "--database", path],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        stores.append((name, path, key))
    return stores


def wrk(url, key, seconds):
    """(requests/s, p99 in ms) of `url`."""
    command = ["wrk", "-t2", "-c32", "-H", f"Authorization: Bearer {key}"]
    subprocess.run(command + ["-d1s", url], check=True, capture_output=True)
    output = subprocess.run(command + [f"-d{seconds}s", "--latency", url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("podium")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    arguments = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="podium-api-bench-")
    rows = []
    try:
        for name, path, key in make_stores(arguments.podium, folder):
            with serving(arguments.podium, path) as port:
                base = f"http://127.0.0.1:{port}"
                for route in ROUTES:
                    request = urllib.request.Request(base + route, headers={"Authorization": f"Bearer {key}"})
                    size = len(urllib.request.urlopen(request, timeout=10).read())
                    pairs, loads = [], []
                    for _ in range(arguments.rounds):
                        loads.append(os.getloadavg()[0])
                        reference = wrk(base + "/healthz", key, arguments.seconds)
                        measured = wrk(base + route, key, arguments.seconds)
                        pairs.append((measured, reference))
                    rows.append((name, route, size, pairs, loads))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("| store | route | bytes | requests/s | p99 | `/healthz` requests/s | `/healthz` p99 | ratio (median of pairs) | goal | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, route, size, pairs, loads in rows:
        rate = statistics.median(measured[0] for measured, _ in pairs)
        p99 = statistics.median(measured[1] for measured, _ in pairs)
        reference_rate = statistics.median(reference[0] for _, reference in pairs)
        reference_p99 = statistics.median(reference[1] for _, reference in pairs)
        ratio = statistics.median(reference[0] / measured[0] for measured, reference in pairs)
        goal = "met" if ratio <= 1.3 else "missed"
        if route.startswith("/v1/jobs?") or route == "/v1/jobs":
            goal += ", ≥ 15,000/s " + ("met" if rate >= 15000 else "missed")
        print(f"| {name} | `{route}` | {size} | {rate:.0f} | {p99:.2f} ms | {reference_rate:.0f} | {reference_p99:.2f} ms | "
              f"{ratio:.2f} | {goal} | {min(loads):.2f}–{max(loads):.2f} |")


if __name__ == "__main__":
    main()
