#!/usr/bin/env python3
"""pairs.py FILE A B: from ab.sh's lines, per pattern the median over jobs of each label's geometric
mean (ratio of minima), and the median of the per-pair ratios B/A (pair = consecutive A,B jobs)."""
import sys, statistics as st
path, a, b = sys.argv[1:4]
jobs = []
for line in open(path):
    f = line.split()
    if len(f) < 3 or f[0] not in (a, b):
        continue
    vals = {k: float(v.split('/')[0]) for k, v in (x.split('=') for x in f[3:] if '=' in x)}
    jobs.append((f[0], vals, float(f[2].split('=')[1])))
pairs = [(jobs[i], jobs[i + 1]) for i in range(0, len(jobs) - 1, 2)]
pats = list(jobs[0][1].keys())
loads = [j[2] for j in jobs]
print(f"{len(jobs)} jobs, {len(pairs)} pairs, load {min(loads):.1f}-{max(loads):.1f}")
for p in pats:
    va = [j[1][p] for j in jobs if j[0] == a]
    vb = [j[1][p] for j in jobs if j[0] == b]
    rs = []
    for x, y in pairs:
        ja, jb = (x, y) if x[0] == a else (y, x)
        rs.append(jb[1][p] / ja[1][p])
    print(f"{p:13s} {a} median {st.median(va):.4f} [{min(va):.4f}..{max(va):.4f}]  {b} median {st.median(vb):.4f} [{min(vb):.4f}..{max(vb):.4f}]"
          f"  per-pair {b}/{a} median {st.median(rs):.4f} ({sum(r < 1 for r in rs)}/{len(rs)} below 1)")
