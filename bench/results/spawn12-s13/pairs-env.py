#!/usr/bin/env python3
"""pairs-env.py OUTDIR[,OUTDIR...] [A B]: per-pair table of alt-env.sh's jobs (A: connect, B: bridge by default).
Phases (ms, from the MIGRATION line): sync = synchronized, spawn = spawned - synchronized,
transfer = restored - spawned, commit = resumed - restored (commit+resume), total = resumed;
mpi_init = the replacement's MPI_Init (mitten-startup); ratios B/A per pair, medians."""
import re, sys, glob, statistics, os
dirs = sys.argv[1].split(","); a = sys.argv[2] if len(sys.argv) > 2 else "connect"; b = sys.argv[3] if len(sys.argv) > 3 else "bridge"
def phases(f):
    t = open(f, errors="replace").read()
    m = re.search(r"^MIGRATION rank=.*", t, re.M)
    if not m or "verified=yes" not in t: return None
    v = dict(re.findall(r"(\w+)_ms=([\d.]+)", m.group(0)))
    g = lambda k: float(v[k])
    load = re.search(r"load_at_start=([\d.]+)", t)
    init = re.search(r"mpi_init_ms=([\d.]+)", t)
    return dict(sync=g("synchronized"), spawn=g("spawned")-g("synchronized"), transfer=g("restored")-g("spawned"),
                commit=g("resumed")-g("restored"), total=g("resumed"), freeze=g("freeze"),
                mpi_init=float(init.group(1)) if init else float("nan"), load=float(load.group(1)) if load else float("nan"))
keys = ["sync", "spawn", "transfer", "commit", "total", "freeze", "mpi_init"]
rows = []; cols = {k: ([], [], []) for k in keys}
pairs = []
for d in dirs:
    n = 1
    while os.path.exists(f"{d}/{a}-{n}.txt") or os.path.exists(f"{d}/{b}-{n}.txt"):
        pairs.append((d, n)); n += 1
for d, n in pairs:
    pa, pb = [phases(f"{d}/{x}-{n}.txt") if os.path.exists(f"{d}/{x}-{n}.txt") else None for x in (a, b)]
    if pa and pb:
        cells = []
        for k in keys:
            cols[k][0].append(pa[k]); cols[k][1].append(pb[k]); cols[k][2].append(pb[k] / pa[k] if pa[k] else float("nan"))
            cells.append(f"{pa[k]:.0f} / {pb[k]:.0f}")
        rows.append(f"| {os.path.basename(d)}:{n} | {pa['load']:.1f} / {pb['load']:.1f} | " + " | ".join(cells) + f" | {pb['total']/pa['total']:.2f} | {pb['commit']/pa['commit']:.2f} |")
    else:
        rows.append(f"| {os.path.basename(d)}:{n} | missing or unverified run | ")
print(f"| pair | load {a} / {b} | " + " | ".join(f"{k} {a} / {b}" for k in keys) + f" | total {b}/{a} | commit {b}/{a} |")
print("|---:|---|" + "---|" * len(keys) + "---:|---:|")
print("\n".join(rows))
med = lambda x: statistics.median(x) if x else float("nan")
print("| median | | " + " | ".join(f"{med(cols[k][0]):.1f} / {med(cols[k][1]):.1f}" for k in keys) + f" | {med(cols['total'][2]):.2f} | {med(cols['commit'][2]):.2f} |")
print("\nper-pair ratios " + b + "/" + a + ": " + "; ".join(f"{k} " + ",".join(f"{r:.2f}" for r in cols[k][2]) for k in keys))
