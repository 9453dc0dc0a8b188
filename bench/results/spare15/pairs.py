#!/usr/bin/env python3
"""Per-pair figures of an alternate-env.sh directory: DIR LABEL_A LABEL_B.
total = resumed_ms (request seen -> resumed); freeze = resumed - synchronized; sync = synchronized_ms;
stop->sync = synchronized - stopped; take = spare_taken - synchronized; transfer = restored - spare_taken;
commit+resume = resumed - restored; from stop = resumed - stopped."""
import glob, os, re, statistics, sys
d, la, lb = sys.argv[1:4]
runs = {}
for path in glob.glob(os.path.join(d, "*-*.txt")):
    m = re.match(r"(.+)-(\d+)\.txt$", os.path.basename(path))
    if not m or m.group(1) not in (la, lb):
        continue
    text = open(path, errors="replace").read()
    line = next((l for l in text.splitlines() if "MIGRATION rank=" in l), None)
    if line is None:
        print(f"{path}: no MIGRATION line"); continue
    f = {k: v for k, v in (kv.split("=", 1) for kv in line[line.index("MIGRATION rank="):].split() if "=" in kv)}
    g = lambda k: float(f[k])
    v = {"total": g("resumed_ms"), "freeze": g("resumed_ms") - g("synchronized_ms"), "sync": g("synchronized_ms"),
         "stop->sync": g("synchronized_ms") - g("stopped_ms"), "take": g("spare_taken_ms") - g("synchronized_ms"),
         "transfer": g("restored_ms") - g("spare_taken_ms"), "commit+resume": g("resumed_ms") - g("restored_ms"),
         "from stop": g("resumed_ms") - g("stopped_ms")}
    if "verified=yes" not in text:
        print(f"{path}: NOT verified")
    runs[(m.group(1), int(m.group(2)))] = v
pairs = sorted({p for (_, p) in runs if (la, p) in runs and (lb, p) in runs})
for k in ("total", "freeze", "from stop", "sync", "stop->sync", "take", "transfer", "commit+resume"):
    a = [runs[(la, p)][k] for p in pairs]; b = [runs[(lb, p)][k] for p in pairs]
    r = [y / x if x else float("nan") for x, y in zip(a, b)]
    print(f"| {k} | {' '.join(f'{x:.1f}' for x in a)} ({statistics.median(a):.1f}) | {' '.join(f'{x:.1f}' for x in b)} ({statistics.median(b):.1f}) | "
          f"{' '.join(f'{x:.2f}' for x in r)} | {statistics.median(r):.2f} ({sum(x < 1 for x in r)}/{len(r)} below 1) |")
print(f"pairs={len(pairs)} ({la} vs {lb}; ratio {lb}/{la})")
