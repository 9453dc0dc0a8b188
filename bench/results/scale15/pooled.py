#!/usr/bin/env python3
"""Per-round ratios VARIANT/BASE pooled over several ab.sh files (rounds paired within a file).  pooled.py BASE VARIANT FILE..."""
import statistics, sys
base, var, files = sys.argv[1], sys.argv[2], sys.argv[3:]
ratios = {"total": [], "freeze": [], "protocol": []}
vals = {base: {k: [] for k in ratios}, var: {k: [] for k in ratios}}
for path in files:
    runs = {}
    for line in open(path):
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if f.get("outcome") != "Committed":
            continue
        runs[(f["v"], f["round"])] = {"total": float(f["resumed_ms"]), "freeze": float(f["freeze_ms"]), "protocol": float(f["protocol_ms"])}
    for (v, r), d in runs.items():
        if v in vals:
            for k in ratios: vals[v][k].append(d[k])
        if v == var and (base, r) in runs:
            for k in ratios: ratios[k].append(d[k] / runs[(base, r)][k])
for k, rs in ratios.items():
    print(f"{var}/{base} {k}: medians {statistics.median(vals[base][k]):.1f} / {statistics.median(vals[var][k]):.1f} ms; "
          f"{len(rs)} rounds, ratio median {statistics.median(rs):.2f}, {sum(x < 1 for x in rs)}/{len(rs)} below 1")
