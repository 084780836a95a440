#!/usr/bin/env python3
"""Runs two commands alternately (A, B, A, B, ...) and prints the median wall time of each and
the median, lowest and highest ratio A/B of the pairs.

hyperfine runs all of A and then all of B; on a shared two-core machine the load drifts over
a few seconds, which moves one block and not the other. Alternating puts each pair under the
same conditions. Usage: interleaved-ratio.py PAIRS CLEAN_COMMAND COMMAND_A COMMAND_B
(each a shell command; CLEAN_COMMAND runs before every run, untimed)."""
import statistics
import subprocess
import sys
import time

pairs, clean, first, second = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def timed(command):
    subprocess.run(clean, shell=True, check=True)
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


timed(first)
timed(second)
a, b = [], []
for _ in range(pairs):
    a.append(timed(first))
    b.append(timed(second))
ratios = [x / y for x, y in zip(a, b)]
print(f"{statistics.median(a):.4f} {statistics.median(b):.4f} {statistics.median(ratios):.2f} {min(ratios):.2f} {max(ratios):.2f}")
