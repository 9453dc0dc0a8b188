#!/usr/bin/env python3
"""kern17's summary.py, extended by kern19 with a second statistic: per-pair ratios from an ab.sh CSV.
summary.py CSV BASE [first_rep last_rep]
Per config and variant: per-run median (ms) over pairs; per pair: BASE job median / variant job median
(seconds; a speed ratio, >1 = variant faster), median over pairs (kern17's figure); and (kern19) the same with
each job's best run instead of its median ("best"), which a descheduled run does not reach."""
import csv, statistics as st, sys
from collections import defaultdict
path, base = sys.argv[1], sys.argv[2]
lo, hi = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1, 10**9)
rows = list(csv.DictReader(open(path)))
jobs = defaultdict(list); runs = defaultdict(lambda: defaultdict(list)); loads = defaultdict(list)
for r in rows:
    key = (r["class"], int(r["ranks"]))
    rep = int(r["rep"])
    runs[key, r["variant"]][rep].append(float(r["seconds"]) * 1e3)
    if lo <= rep <= hi:
        jobs[key, r["variant"], int(r["pair"])].append(float(r["seconds"]))
    loads[key].append(float(r["load1"]))
configs = sorted({k for (k, _) in runs}, key=lambda k: ("SWABC".index(k[0]), k[1]))
variants = sorted({v for (_, v) in runs}, key=lambda v: (v != base, v))
for key in configs:
    print(f"== {key[0]}/{key[1]}  load1 median {st.median(loads[key]):.1f} (range {min(loads[key]):.1f}-{max(loads[key]):.1f}); runs {lo}..{hi if hi < 10**9 else 'last'}")
    for v in variants:
        per_run = runs[key, v]
        if not per_run: continue
        line = " ".join(f"{st.median(per_run[rep]):.2f}" for rep in sorted(per_run))
        best = min(min(x) for x in per_run.values())
        print(f"  {v:>14} per-run median ms: {line}  (best run {best:.2f})")
    for v in variants:
        if v == base: continue
        pairs = sorted({p for (k, vv, p) in jobs if k == key and vv == v and (key, base, p) in jobs})
        ratios = [st.median(jobs[key, base, p]) / st.median(jobs[key, v, p]) for p in pairs]
        bests = [min(jobs[key, base, p]) / min(jobs[key, v, p]) for p in pairs]
        if ratios:
            print(f"  {v:>14} speed / {base}: median {st.median(ratios):.3f} [{' '.join(f'{x:.2f}' for x in ratios)}] ({sum(x >= 1 for x in ratios)}/{len(ratios)} >= 1)")
            print(f"  {v:>14} best-run speed / {base}: median {st.median(bests):.3f} [{' '.join(f'{x:.2f}' for x in bests)}] ({sum(x >= 1 for x in bests)}/{len(bests)} >= 1)")
