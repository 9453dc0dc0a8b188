#!/usr/bin/env python3
"""Per-pair ratios (B/A) and medians of protocol_ms (and freeze_wait_ms, lock_wait_ms when the lines have them), total (resumed_ms), freeze_ms and
commit+resume (resumed - restored) from the jobs' outputs scripts/dev/alternate-env.sh keeps
(DIR/LABEL-PAIR.txt, the MIGRATION line of each).
  pair-ratios.py DIR LABEL_A LABEL_B"""
import glob, os, re, statistics, sys
d, la, lb = sys.argv[1:4]
runs = {}
for path in glob.glob(os.path.join(d, "*-*.txt")):
    m = re.match(r"(.+)-(\d+)\.txt$", os.path.basename(path))
    if not m or m.group(1) not in (la, lb):
        continue
    line = next((l for l in open(path, errors="replace") if "MIGRATION rank=" in l), None)
    if line is None:
        print(f"{path}: no MIGRATION line"); continue
    f = dict(kv.split("=", 1) for kv in line[line.index("MIGRATION rank="):].split() if "=" in kv)
    v = {"protocol": float(f["protocol_ms"]), "total": float(f["resumed_ms"]), "freeze": float(f["freeze_ms"]),
         "commit+resume": float(f["resumed_ms"]) - float(f["restored_ms"])}
    for k in ("freeze_wait", "lock_wait"):  # the freeze's and the migration lock's waits (reported since xhost19)
        if k + "_ms" in f:
            v[k] = float(f[k + "_ms"])
    runs[(m.group(1), int(m.group(2)))] = v
pairs = sorted({p for (_, p) in runs if (la, p) in runs and (lb, p) in runs})
for k in ("protocol", "freeze_wait", "lock_wait", "total", "freeze", "commit+resume"):
    if not pairs or any(k not in runs[(l, p)] for l in (la, lb) for p in pairs):
        continue
    a = [runs[(la, p)][k] for p in pairs]; b = [runs[(lb, p)][k] for p in pairs]
    r = [y / x if x > 0 else float("nan") for x, y in zip(a, b)]
    print(f"{k}: {la} {' '.join(f'{x:.1f}' for x in a)} (median {statistics.median(a):.1f}) | "
          f"{lb} {' '.join(f'{x:.1f}' for x in b)} (median {statistics.median(b):.1f}) | "
          f"ratios {lb}/{la} {' '.join(f'{x:.2f}' for x in r)} (median {statistics.median(r):.2f}, {sum(x < 1 for x in r)}/{len(r)} below 1)")
print(f"pairs={len(pairs)}")
