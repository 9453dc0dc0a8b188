#!/usr/bin/env python3
"""kern17: per variant, the PHASES lines of an ab.sh run (IS_PHASE_TIMES=1): median over runs 2.. and ranks of each
phase's wall and thread-CPU ms per 10 iterations.  phases.py OUT.csv.d"""
import glob, os, re, statistics as st, sys
from collections import defaultdict
d = sys.argv[1]
vals = defaultdict(lambda: defaultdict(list))
for path in glob.glob(os.path.join(d, "*.txt")):
    m = re.match(r"(\d+)-(.+)-([SWABC])-(\d+)\.txt$", os.path.basename(path))
    if not m: continue
    for line in open(path, errors="replace"):
        if not line.startswith("PHASES "): continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        if int(f["rep"]) < 2: continue
        for k, v in f.items():
            if k.endswith("_ms"): vals[(m.group(3), m.group(4), m.group(2))][k].append(float(v))
keys = ["local_ms", "allreduce_ms", "alltoall_ms", "alltoallv_ms", "keyrank_ms", "local_cpu_ms", "allreduce_cpu_ms", "alltoall_cpu_ms", "alltoallv_cpu_ms", "keyrank_cpu_ms"]
print("config variant n " + " ".join(k.replace("_ms", "") for k in keys))
for key in sorted(vals):
    v = vals[key]
    print(f"{key[0]}/{key[1]} {key[2]} {len(v['local_ms'])} " + " ".join(f"{st.median(v[k]):.4f}" for k in keys))
