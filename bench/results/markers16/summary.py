#!/usr/bin/env python3
"""Medians and per-round ratios (against BASE) of ab16.sh's lines.  summary.py FILE BASE"""
import re, statistics, sys
from collections import defaultdict
path, base = sys.argv[1], sys.argv[2]
runs = {}  # (variant, round) -> dict
loads = []
for line in open(path):
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    if "resumed_ms" not in f or f.get("outcome") != "Committed":
        print("skipped:", line.strip()[:120]); continue
    t = {k[:-3]: float(v) for k, v in f.items() if k.endswith("_ms")}
    taken = t.get("spare_taken", t.get("spawned"))
    stopped = t.get("stopped", 0.0)
    d = {"total": t["resumed"], "freeze": t["freeze"], "protocol": t["protocol"],
         "stop": stopped, "stop->sync": t["synchronized"] - stopped,
         "take/spawn": taken - t["synchronized"], "transfer": t["state_sent"] - taken,
         "restore": t["restored"] - t["state_sent"], "commit": t["committed"] - t["restored"],
         "resume": t["resumed"] - t["committed"]}
    runs[(f["v"], int(f["round"]))] = d
    loads.append(float(f["load"]))
variants = sorted({v for v, _ in runs}, key=lambda v: (v != base, v))
keys = ["total", "freeze", "protocol", "stop", "stop->sync", "take/spawn", "transfer", "restore", "commit", "resume"]
print(f"load {min(loads):.1f}-{max(loads):.1f} (median {statistics.median(loads):.1f}), jobs {len(runs)}")
print("median | " + " | ".join(f"{k}" for k in keys))
for v in variants:
    rs = [d for (vv, _), d in runs.items() if vv == v]
    print(f"{v} (n={len(rs)}) | " + " | ".join(f"{statistics.median(d[k] for d in rs):.1f}" for k in keys))
for v in variants:
    if v == base: continue
    rounds = sorted(r for (vv, r) in runs if vv == v and (base, r) in runs)
    for k in ("total", "freeze", "protocol"):
        rat = [runs[(v, r)][k] / runs[(base, r)][k] for r in rounds if runs[(base, r)][k] > 0]
        print(f"{v}/{base} {k}: " + " ".join(f"{x:.2f}" for x in rat) +
              f" (median {statistics.median(rat):.2f}, {sum(x < 1 for x in rat)}/{len(rat)} below 1)")
