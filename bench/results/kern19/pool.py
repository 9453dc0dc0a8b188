#!/usr/bin/env python3
"""kern19: pools several ab.sh CSVs of the same two programs (pairs renumbered per file) into one CSV on stdout,
so that summary.py gives the median over every pair measured.  pool.py A.csv B.csv ... > pooled.csv"""
import csv, sys
w = csv.writer(sys.stdout); w.writerow(["pair", "variant", "class", "ranks", "rep", "seconds", "mops", "load1"])
offset = 0
for path in sys.argv[1:]:
    rows = list(csv.DictReader(open(path)))
    for r in rows:
        w.writerow([int(r["pair"]) + offset, r["variant"], r["class"], r["ranks"], r["rep"], r["seconds"], r["mops"], r["load1"]])
    offset += max((int(r["pair"]) for r in rows), default=0)
