#!/usr/bin/env python3
"""pairs.py CSV (scripts/bench.sh iskernel/mgkernel raw CSV): per class/ranks, per pair the ratio C#/C Mop/s
of the job medians over all runs and over runs 2.. only (run 1 excluded), and each job's runs (ms)."""
import csv, sys, statistics as st, collections
rows = list(csv.DictReader(open(sys.argv[1])))
job = collections.defaultdict(list)
for r in rows: job[(r['class'], r['ranks'], int(r['pair']), r['impl'])].append((int(r['rep']), float(r['seconds']) * 1e3))
cfgs = sorted({(k[0], k[1]) for k in job}, key=lambda c: ("SWABC".index(c[0]), int(c[1])))
for c, n in cfgs:
    pairs = sorted({k[2] for k in job if k[:2] == (c, n)})
    allr, late = [], []
    for p in pairs:
        a, b = job[(c, n, p, 'c')], job[(c, n, p, 'csharp')]
        allr.append(st.median(x for _, x in a) / st.median(x for _, x in b))
        late.append(st.median(x for r, x in a if r > 1) / st.median(x for r, x in b if r > 1))
    print(f"{c}/{n}: ratio (all runs) median {st.median(allr):.3f} [{' '.join(f'{x:.2f}' for x in allr)}]; "
          f"runs 2.. only median {st.median(late):.3f} [{' '.join(f'{x:.2f}' for x in late)}]")
    for impl in ('c', 'csharp'):
        r1 = [x for p in pairs for r, x in job[(c, n, p, impl)] if r == 1]
        rl = [x for p in pairs for r, x in job[(c, n, p, impl)] if r > 1]
        print(f"   {impl:7} run 1 median {st.median(r1):8.2f} ms, runs 2.. median {st.median(rl):8.2f} ms (min {min(rl):.2f})")
