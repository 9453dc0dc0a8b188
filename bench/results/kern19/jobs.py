#!/usr/bin/env python3
"""kern19: per job (pair, variant) of a config, the job's run times (ms) and load, from ab.sh CSVs.  jobs.py CLASS RANKS A.csv ..."""
import csv, sys
from collections import defaultdict
cls, ranks = sys.argv[1], sys.argv[2]
for path in sys.argv[3:]:
    jobs = defaultdict(list); load = {}
    for r in csv.DictReader(open(path)):
        if r["class"] == cls and r["ranks"] == ranks:
            jobs[int(r["pair"]), r["variant"]].append(float(r["seconds"]) * 1e3); load[int(r["pair"]), r["variant"]] = r["load1"]
    for k in sorted(jobs):
        print(f"{path} pair {k[0]} {k[1]:>3}: " + " ".join(f"{x:7.0f}" for x in jobs[k]) + f"  load {load[k]}")
