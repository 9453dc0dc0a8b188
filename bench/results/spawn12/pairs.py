#!/usr/bin/env python3
"""Per-pair phases of main vs spawn12 (IS class A, 8 ranks, --migrate 1@5) from the job outputs
main-N.txt / spawn12-N.txt in a directory: spawn = spawned - synchronized, transfer = restored -
spawned, total = resumed, and the replacement's header wait and codec time (MITTEN_TRACE=1).
Usage: pairs.py DIR"""
import glob, re, statistics, sys

def phases(path):
    text = open(path, errors="replace").read()
    line = next((l for l in text.splitlines() if l.startswith("MIGRATION rank=")), None)
    if line is None or "verified=yes" not in text:
        return None
    kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
    f = {k: float(kv[k]) for k in ("synchronized_ms", "spawned_ms", "restored_ms", "resumed_ms", "freeze_ms")}
    codec = re.search(r"application codec ([\d.]+) ms", text)
    init = re.search(r"mpi_init_ms=([\d.]+)", text)
    load = re.search(r"load=([\d.]+)", text)
    return {"spawn": f["spawned_ms"] - f["synchronized_ms"], "transfer": f["restored_ms"] - f["spawned_ms"],
            "total": f["resumed_ms"], "freeze": f["freeze_ms"], "codec": float(codec[1]) if codec else float("nan"),
            "mpi_init": float(init[1]) if init else float("nan"), "load": float(load[1]) if load else float("nan")}

d = sys.argv[1]
rows = []
for n in sorted({int(re.search(r"-(\d+)\.txt$", p)[1]) for p in glob.glob(d + "/*-*.txt")}):
    a, b = phases(f"{d}/main-{n}.txt"), phases(f"{d}/spawn12-{n}.txt")
    if a and b:
        rows.append((n, a, b))
keys = ["spawn", "transfer", "total", "freeze", "mpi_init", "codec"]
print("| pair | load | " + " | ".join(f"{k} main / spawn12" for k in keys) + " | total spawn12/main | transfer spawn12/main |")
print("|---:|---:|" + "---|" * len(keys) + "---:|---:|")
for n, a, b in rows:
    print(f"| {n} | {a['load']:.1f}-{b['load']:.1f} | " + " | ".join(f"{a[k]:.0f} / {b[k]:.0f}" for k in keys)
          + f" | {b['total'] / a['total']:.2f} | {b['transfer'] / a['transfer']:.2f} |")
med = lambda v: statistics.median(v)
print("| median | | " + " | ".join(f"{med([a[k] for _, a, _ in rows]):.0f} / {med([b[k] for _, _, b in rows]):.0f}" for k in keys)
      + f" | {med([b['total'] / a['total'] for _, a, b in rows]):.2f} | {med([b['transfer'] / a['transfer'] for _, a, b in rows]):.2f} |")
