#!/usr/bin/env python3
"""Intake cost against the size of the meet: posts DT_RESULT documents of distinct units, one
after another over one keep-alive connection, to a `podium serve` started here on loopback with
a fresh database, and reports the median time per POST while the store holds few units and
while it holds thousands.

usage: bench-intake-units.py PODIUM_BINARY UNITS [LABEL]
Prints one JSON line: label, units, median ms at units 1-50, median ms at the last 50, ratio,
documents/s overall, the machine's load average before the run."""

import http.client, json, os, secrets, socket, statistics, subprocess, sys, tempfile, time, base64

podium, units = sys.argv[1], int(sys.argv[2])
label = sys.argv[3] if len(sys.argv) > 3 else "podium"
here = os.path.dirname(os.path.abspath(__file__))
template = open(os.path.join(here, "..", "fixtures", "swim-100-free", "results", "05-DT_RESULT-OFFICIAL.xml"), encoding="utf-8").read()
work = tempfile.mkdtemp(prefix="podium-intake-units-")
secret = "pk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
with open(os.path.join(work, "keys"), "w") as handle:
    handle.write(f"feed timing {secret}\n")
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
load = os.getloadavg()[0]
server = subprocess.Popen(
    [podium, "serve", "--hostname", "127.0.0.1", "--port", str(port), "--database", os.path.join(work, "podium.sqlite"),
     "--key-file", os.path.join(work, "keys"), "--rate-limit", "100000", "--rate-burst", "100000"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/xml"}
    times = []
    started = time.perf_counter()
    for number in range(1, units + 1):
        body = template.replace("SWMM100MFR------------FNL-000100--", f"SWMM100MFR------------FNL-{number:06d}--").encode()
        before = time.perf_counter()
        connection.request("POST", "/v1/feeds/odf", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        times.append((time.perf_counter() - before) * 1000)
        if response.status != 200:
            sys.exit(f"unit {number}: {response.status} {answer[:200]!r}")
    total = time.perf_counter() - started
    early, late = statistics.median(times[:50]), statistics.median(times[-50:])
    print(json.dumps({"label": label, "units": units, "earlyMs": round(early, 3), "lateMs": round(late, 3),
                      "ratio": round(late / early, 3), "documentsPerSecond": round(units / total, 1), "load": load}))
finally:
    server.terminate()
    server.wait()
