#!/usr/bin/env python3
"""Writes the inputs of the results benchmarks into a folder given as the first argument:
versions/ holds N successive versions (default 2000) of the swimming final's 8-lane DT_RESULT,
and big.lef a Lenex meet of 200 clubs x 10 athletes x 3 results with splits."""

import os
import sys

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
here = os.path.dirname(os.path.abspath(__file__))
template = open(os.path.join(here, "..", "fixtures", "swim-100-free", "results", "05-DT_RESULT-OFFICIAL.xml"), encoding="utf-8").read()
os.makedirs(os.path.join(out, "versions"), exist_ok=True)
for version in range(1, count + 1):
    text = template.replace('Version="4"', f'Version="{version}"').replace('Value="3.98"', f'Value="{3 + version // 100}.{version % 100:02d}"')
    with open(os.path.join(out, "versions", f"v{version:05d}.xml"), "w", encoding="utf-8") as handle:
        handle.write(text)

clubs = []
result_id = 0
for club in range(200):
    athletes = []
    for athlete in range(10):
        athlete_id = club * 10 + athlete + 1
        results = []
        for event in range(1, 4):
            result_id += 1
            results.append(
                f'<RESULT resultid="{result_id}" eventid="{event}" heatid="{event}0" lane="{athlete % 8 + 1}" '
                f'swimtime="00:00:{48 + athlete % 10}.{athlete_id % 100:02d}" reactiontime="+{60 + athlete}">'
                f'<SPLITS><SPLIT distance="50" swimtime="00:00:{23 + athlete % 5}.{club % 100:02d}"/></SPLITS></RESULT>'
            )
        athletes.append(
            f'<ATHLETE athleteid="{athlete_id}" firstname="Given{athlete_id}" lastname="FAMILY{athlete_id}" gender="M" '
            f'birthdate="2000-01-01"><RESULTS>{"".join(results)}</RESULTS></ATHLETE>'
        )
    clubs.append(f'<CLUB name="Club {club}" code="C{club}" nation="USA"><ATHLETES>{"".join(athletes)}</ATHLETES></CLUB>')
events = "".join(
    f'<EVENT eventid="{event}" number="{event}" gender="M"><SWIMSTYLE distance="100" relaycount="1" stroke="FREE"/>'
    f'<HEATS><HEAT heatid="{event}0" number="1"/></HEATS></EVENT>'
    for event in range(1, 4)
)
lef = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<LENEX version="3.0"><MEETS><MEET name="Bench Meet" city="Bench" course="LCM">'
    f'<SESSIONS><SESSION number="1" date="2026-08-01"><EVENTS>{events}</EVENTS></SESSION></SESSIONS>'
    f'<CLUBS>{"".join(clubs)}</CLUBS></MEET></MEETS></LENEX>\n'
)
with open(os.path.join(out, "big.lef"), "w", encoding="utf-8") as handle:
    handle.write(lef)
