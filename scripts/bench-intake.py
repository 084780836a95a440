#!/usr/bin/env python3
"""Results intake in documents per second: `podium import` of a folder, and `POST /v1/feeds/odf`
over 8 keep-alive connections, each document stored and applied before its answer.

Makes its own documents (scripts/make-feed-bench.py: 2,000 successive versions of an 8-lane
DT_RESULT, every one accepted). Runs --rounds rounds; in each, the CLI import into a fresh
database, then the HTTP intake into a fresh server. With --against OTHER_PODIUM, each round runs
the other binary too, alternated with PODIUM, so both see the same load. Prints per binary and
path the median documents/s over the rounds, with the load average.

Usage: bench-intake.py PODIUM [--against OTHER_PODIUM] [--rounds 3] [--connections 8]
"""
import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from benchserver import serving

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def remove_database(database):
    """Deletes a database left by the round before, with its log."""
    for leftover in (database, database + "-wal", database + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)


def cli(podium, folder, work):
    database = os.path.join(work, "cli.sqlite")
    remove_database(database)
    start = time.perf_counter()
    subprocess.run([podium, "import", folder, "--database", database], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def over_http(podium, documents, work, connections):
    database = os.path.join(work, "http.sqlite")
    remove_database(database)
    key = subprocess.run([podium, "keys", "create", "--scope", "feed", "--owner", "bench", "--database", database],
                         check=True, capture_output=True, text=True).stdout.strip()
    with serving(podium, database) as port:
        failures = []
        # Each connection posts its own share in order; versions interleave across connections,
        # as from several timing systems (an older version arriving late is superseded, still a 200).
        shares = [documents[index::connections] for index in range(connections)]

        def post(share):
            try:
                send(share)
            except Exception as error:  # a thread's failure must fail the run, not vanish
                failures.append(repr(error))

        def send(share):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for body in share:
                connection.request("POST", "/v1/feeds/odf", body, {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    failures.append(answer.status)
            connection.close()

        threads = [threading.Thread(target=post, args=(share,)) for share in shares]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        if failures:
            raise SystemExit(f"{len(failures)} posts failed: {failures[:5]}")
        return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("podium")
    parser.add_argument("--against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="podium-intake-")
    try:
        subprocess.run(["python3", os.path.join(ROOT, "scripts/make-feed-bench.py"), work, "2000"], check=True)
        folder = os.path.join(work, "versions")
        names = sorted(os.listdir(folder))
        documents = [open(os.path.join(folder, name), "rb").read() for name in names]
        binaries = [("this build", arguments.podium)] + ([("other build", arguments.against)] if arguments.against else [])
        results = {(name, path): [] for name, _ in binaries for path in ("CLI", "HTTP")}
        loads = []
        for _ in range(arguments.rounds):
            loads.append(os.getloadavg()[0])
            for name, binary in binaries:
                results[(name, "CLI")].append(len(documents) / cli(binary, folder, work))
            for name, binary in binaries:
                results[(name, "HTTP")].append(len(documents) / over_http(binary, documents, work, arguments.connections))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"| build | path | documents/s (median of {arguments.rounds}) | each round | goal | load average |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (name, path), rates in results.items():
        median = statistics.median(rates)
        label = "`podium import` (process start included)" if path == "CLI" else f"`POST /v1/feeds/odf`, {arguments.connections} connections"
        print(f"| {name} | {label} | {median:.0f} | {', '.join(f'{rate:.0f}' for rate in rates)} | "
              f"{'met' if median >= 2000 else 'missed'} (≥ 2,000/s) | {min(loads):.2f}–{max(loads):.2f} |")


if __name__ == "__main__":
    main()
