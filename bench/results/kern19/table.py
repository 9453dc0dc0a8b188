#!/usr/bin/env python3
"""kern19: the headline table from pooled ab.sh CSVs (pool.py output): per config the number of pairs, C and C# median
Mop/s over all runs, the per-pair C#/C ratio (job medians) as median [min..max], the same over the pairs whose two jobs
both started at load1 < LIMIT, and the load range.  table.py POOLED.csv [LIMIT=5]"""
import csv, statistics as st, sys
from collections import defaultdict
path = sys.argv[1]; limit = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
jobs = defaultdict(list); load = {}; mops = defaultdict(list)
for r in csv.DictReader(open(path)):
    key = (r["class"], int(r["ranks"]))
    jobs[key, r["variant"], int(r["pair"])].append(float(r["seconds"]))
    load[key, r["variant"], int(r["pair"])] = float(r["load1"]); mops[key, r["variant"]].append(float(r["mops"]))
configs = sorted({k for (k, _, _) in jobs}, key=lambda k: ("SWABC".index(k[0]), k[1]))
print("| config | pairs | C Mop/s | C# Mop/s | C# / C median [min .. max] | >= 1 | pairs at load1 < %g: median [values] | load1 |" % limit)
print("|---|---:|---:|---:|---|---:|---|---|")
for key in configs:
    pairs = sorted({p for (k, v, p) in jobs if k == key and v == "c" and (key, "cs", p) in jobs})
    ratios = [st.median(jobs[key, "c", p]) / st.median(jobs[key, "cs", p]) for p in pairs]
    quiet = [st.median(jobs[key, "c", p]) / st.median(jobs[key, "cs", p]) for p in pairs if load[key, "c", p] < limit and load[key, "cs", p] < limit]
    loads = [load[key, v, p] for p in pairs for v in ("c", "cs")]
    q = f"{st.median(quiet):.3f} [{' '.join(f'{x:.2f}' for x in quiet)}]" if quiet else "none"
    print(f"| {key[0]}/{key[1]} | {len(pairs)} | {st.median(mops[key, 'c']):.0f} | {st.median(mops[key, 'cs']):.0f} | **{st.median(ratios):.3f}** [{min(ratios):.2f} .. {max(ratios):.2f}] | {sum(x >= 1 for x in ratios)}/{len(ratios)} | {q} | {min(loads):.1f}-{max(loads):.1f} |")
