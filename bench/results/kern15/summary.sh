#!/bin/bash
# summary.sh OUT.csv BASE_VARIANT: per class/ranks and variant, the median over pairs of (job median mops / BASE job median mops in the same pair)
f=$1 base=$2
python3 - "$f" "$base" <<'PY'
import csv, sys, statistics as st
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1]))); base = sys.argv[2]
job = defaultdict(list)
for r in rows: job[(r['class'], r['ranks'], r['variant'], r['pair'])].append(float(r['mops']))
cfgs = sorted({(k[0], k[1]) for k in job}, key=lambda c: ("SWABC".index(c[0]), int(c[1])))
variants = sorted({k[2] for k in job})
loads = [float(r['load1']) for r in rows]
print(f"load1 median {st.median(loads):.2f} (min {min(loads):.2f}, max {max(loads):.2f})")
for c in cfgs:
    for v in variants:
        pairs = sorted({k[3] for k in job if k[:3] == (c[0], c[1], v)}, key=int)
        med = [st.median(job[(c[0], c[1], v, p)]) for p in pairs]
        ratios = [st.median(job[(c[0], c[1], v, p)]) / st.median(job[(c[0], c[1], base, p)]) for p in pairs if (c[0], c[1], base, p) in job]
        print(f"{c[0]}/{c[1]} {v:12s} median_mops {st.median(med):9.2f}  ratio_vs_{base} median {st.median(ratios):.3f} [{' '.join(f'{x:.2f}' for x in ratios)}]")
PY
