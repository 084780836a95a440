#!/usr/bin/env python3
"""Intake cost against the size of the meet: posts documents of distinct units, one after another
over one keep-alive connection, to a `podium serve` started here on loopback with a fresh
database, and reports the median time per POST while the store holds few units and while it
holds thousands.

Three document shapes take turns, each unit getting one: the swimming final's 8-lane ODF
DT_RESULT (splits, records), the athletics 100 m ODF DT_RESULT (another discipline and layout),
and the swimming final as Podium timing events (JSON, folded into results per unit).

usage: bench-intake-units.py PODIUM_BINARY UNITS [LABEL]
Prints one JSON line: label, units, median ms over the first 50 and the last 50 posts of each
shape, their ratio, documents/s overall, the machine's load average before the run. With the
label `--line`, one line of text for docs/bench-results.md instead."""

import http.client, json, os, secrets, statistics, sys, tempfile, time, base64

from benchserver import serving

podium, units = sys.argv[1], int(sys.argv[2])
label = sys.argv[3] if len(sys.argv) > 3 else "podium"
here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")
def read(*path):
    return open(os.path.join(fixtures, *path), encoding="utf-8").read()
# (name, feed, body template, the unit code in it, how the code of unit `number` is written)
shapes = [
    ("swimming-odf", "odf", read("swim-100-free", "results", "05-DT_RESULT-OFFICIAL.xml"),
     "SWMM100MFR------------FNL-000100--", lambda number: f"SWMM100MFR------------FNL-{number:06d}--"),
    ("athletics-odf", "odf", read("feeds", "athletics-100m", "05-DT_RESULT-OFFICIAL.xml"),
     "ATHM100M--------------FNL-000100--", lambda number: f"ATHM100M--------------FNL-{number:06d}--"),
    ("swimming-events", "events", read("feeds", "events", "swim-100-free-events.json"),
     "SWMM100MFR------------FNL-000100--", lambda number: f"SWMM100MFR------------HTS-{number:06d}--"),
]
work = tempfile.mkdtemp(prefix="podium-intake-units-")
secret = "pk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
with open(os.path.join(work, "keys"), "w") as handle:
    handle.write(f"feed timing {secret}\n")
load = os.getloadavg()[0]
database = os.path.join(work, "podium.sqlite")
with serving(podium, database, "--key-file", os.path.join(work, "keys")) as port:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {secret}"}
    times = {name: [] for name, *_ in shapes}
    started = time.perf_counter()
    for number in range(1, units + 1):
        name, feed, body, code, unit = shapes[number % len(shapes)]
        payload = body.replace(code, unit(number)).encode()
        before = time.perf_counter()
        connection.request("POST", f"/v1/feeds/{feed}", body=payload, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        times[name].append((time.perf_counter() - before) * 1000)
        if response.status != 200 or b'"accepted"' not in answer:
            sys.exit(f"unit {number} ({name}): {response.status} {answer[:200]!r}")
    total = time.perf_counter() - started
    result = {"label": label, "units": units, "documentsPerSecond": round(units / total, 1), "load": load}
    for name, measured in times.items():
        early, late = statistics.median(measured[:50]), statistics.median(measured[-50:])
        result[name] = {"earlyMs": round(early, 3), "lateMs": round(late, 3), "ratio": round(late / early, 3)}
    if label == "--line":
        print("; ".join(f"{name} {value['earlyMs']} → {value['lateMs']} ms (×{value['ratio']})"
                        for name, value in result.items() if isinstance(value, dict))
              + f"; {result['documentsPerSecond']} documents/s, load {load:.2f}")
    else:
        print(json.dumps(result))
