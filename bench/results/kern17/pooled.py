#!/usr/bin/env python3
"""kern17: per config and variant, pooled over ab.sh CSVs: median of run 1 and of runs 2-3 (ms), number of jobs.
  pooled.py CSV..."""
import csv, statistics as st, sys
from collections import defaultdict
runs = defaultdict(lambda: defaultdict(list))
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path)):
        runs[(r["class"], int(r["ranks"]), r["variant"])][min(int(r["rep"]), 2)].append(float(r["seconds"]) * 1e3)
print("config variant jobs run1_median_ms runs2-3_median_ms run1/runs2-3")
for k in sorted(runs, key=lambda k: ("SWABC".index(k[0]), k[1], k[2])):
    a, b = runs[k][1], runs[k][2]
    if a and b:
        print(f"{k[0]}/{k[1]} {k[2]} {len(a)} {st.median(a):.2f} {st.median(b):.2f} {st.median(a) / st.median(b):.2f}")
