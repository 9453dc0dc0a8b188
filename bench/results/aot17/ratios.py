#!/usr/bin/env python3
"""Per-pair ratios (B/A) and medians of a migration's phases, the replacement's start-up and Mop/s
from the job outputs scripts/dev/alternate-binaries.sh keeps (DIR/LABEL-PAIR.txt).
  ratios.py DIR LABEL_A LABEL_B"""
import glob, os, re, statistics, sys
d, la, lb = sys.argv[1:4]
runs = {}
for path in glob.glob(os.path.join(d, "*-*.txt")):
    m = re.match(r"(.+)-(\d+)\.txt$", os.path.basename(path))
    if not m or m.group(1) not in (la, lb):
        continue
    text = open(path, errors="replace").read()
    v = {}
    line = next((l for l in text.splitlines() if "MIGRATION rank=" in l), None)
    if line:
        f = dict(kv.split("=", 1) for kv in line[line.index("MIGRATION rank="):].split() if "=" in kv)
        g = lambda k: float(f[k])
        taken = "spawned_ms" if "spawned_ms" in f else "spare_taken_ms"
        v.update({"sync": g("synchronized_ms"), "spawn|take": g(taken) - g("synchronized_ms"),
                  "transfer+restore": g("restored_ms") - g(taken), "commit+resume": g("resumed_ms") - g("restored_ms"),
                  "protocol": g("protocol_ms"), "total": g("resumed_ms"), "freeze": g("freeze_ms")})
    s = re.search(r"mitten-startup replacement pid=\d+ process_ms=(\d+) before_init_ms=[\d.]+ mpi_init_ms=([\d.]+)", text)
    if s:
        v["repl_process"] = float(s.group(1)); v["repl_mpi_init"] = float(s.group(2))
    r = re.search(r"replacement: state restored .*?in ([\d.]+) ms", text)
    mo = re.search(r"RESULT .* mops=([\d.]+)", text)
    if mo and "verified=yes" in text:
        v["mops"] = float(mo.group(1))
    runs[(m.group(1), int(m.group(2)))] = v
pairs = sorted({p for (_, p) in runs if (la, p) in runs and (lb, p) in runs})
keys = [k for k in ("sync", "spawn|take", "transfer+restore", "commit+resume", "protocol", "total", "freeze", "repl_process", "repl_mpi_init", "mops")
        if all(k in runs[(x, p)] for p in pairs for x in (la, lb))]
for k in keys:
    a = [runs[(la, p)][k] for p in pairs]; b = [runs[(lb, p)][k] for p in pairs]
    rr = [y / x if x else float("nan") for x, y in zip(a, b)]
    print(f"{k}: {la} {' '.join(f'{x:.1f}' for x in a)} (median {statistics.median(a):.1f}) | "
          f"{lb} {' '.join(f'{x:.1f}' for x in b)} (median {statistics.median(b):.1f}) | "
          f"ratios {lb}/{la} {' '.join(f'{x:.2f}' for x in rr)} (median {statistics.median(rr):.2f}, {sum(x < 1 for x in rr)}/{len(rr)} below 1)")
print(f"pairs={len(pairs)}")
