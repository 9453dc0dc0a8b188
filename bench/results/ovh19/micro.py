#!/usr/bin/env python3
"""Reads micro.sh output: per job the machine state (recv's 8-byte one-way minimum: fast < 0.2 us)
and each variant's difference to recv (ns, min and 10th percentile); then medians per state."""
import sys, statistics as st
jobs = []; cur = None; head = ''
for line in open(sys.argv[1]):
    # a job starts at its CSV header; the '# job' line before it gives its time and load (two loops
    # wrote into micro4.txt between 16:26 and 16:50, so a '# job' line can stand before another's output)
    if line.startswith('# job'):
        head = line.strip(); continue
    if line.startswith('variant,'):
        cur = {'head': head, 'rows': {}}; jobs.append(cur); continue
    f = line.strip().split(',')
    if cur is None or len(f) != 6 or f[0] in ('variant', 'delta_ns_vs_recv'): continue
    cur['rows'][(f[0], int(f[1]))] = (float(f[3]), float(f[4]), float(f[5]))
variants = ['wait', 'waitany', 'test', 'test1any', 'waitcb', 'waitcblp', 'waitcbreg']
agg = {}
for j in jobs:
    r = j['rows']
    if ('recv', 8) not in r: continue
    state = 'fast' if r[('recv', 8)][0] < 200 else 'usual'
    parts = []
    for size in sorted({s for (_, s) in r}):
        for v in variants:
            if (v, size) in r:
                dmin = r[(v, size)][0] - r[('recv', size)][0]; dp10 = r[(v, size)][1] - r[('recv', size)][1]
                agg.setdefault((state, v, size), []).append((dmin, dp10))
                parts.append(f'{v}@{size}={dmin:+.1f}/{dp10:+.1f}')
    print(j['head'], state, f"recv8={r[('recv', 8)][0]:.1f}ns", ' '.join(parts))
print('\nmedian over jobs of (variant - recv) ns, min / p10; state: jobs')
for state in ('usual', 'fast'):
    n = sum(1 for k in agg if k[0] == state and k[1] == 'wait' and k[2] == 8) and len(agg.get((state, 'wait', 8), []))
    if not n: continue
    print(f'{state}: {n} jobs')
    for size in sorted({k[2] for k in agg}):
        cells = []
        for v in variants:
            xs = agg.get((state, v, size))
            if xs: cells.append(f"{v} {st.median(x[0] for x in xs):+.1f} / {st.median(x[1] for x in xs):+.1f}")
        print(f'  {size:>4} B: ' + ', '.join(cells))
