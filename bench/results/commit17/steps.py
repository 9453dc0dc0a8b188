#!/usr/bin/env python3
"""Per-step times of the spawn path's commit from traced jobs (MITTEN_TRACE=1): ms from Pj's
DECISION(commit) sent to the last process that printed each step, and the MIGRATION line's
commit+resume (resumed - restored).  steps.py DIR LABEL..."""
import glob, os, re, statistics, sys
d, labels = sys.argv[1], sys.argv[2:]
line_re = re.compile(r"\[mitten (\d+):(\d+):(\d+)\.(\d+) r(-?\d+) pid(\d+)\] (.*)")
steps = [("DECISION received", "DECISION received"), ("old window freed", "commit step: old window freed"),
         ("C' (split / create_group)", "commit step: split without Pj|commit step: C' without Pj"),
         ("connected", "commit step: connected"), ("merged", "commit step: merged"),
         ("Cnew in order", "commit step: new group in order"), ("Pn: JOINED sent (Pj has it)", "commit step: JOINED received"),
         ("Pn: COMMIT received", "replacement: COMMIT received"), ("staying: new group installed", "new group installed"),
         ("staying: old window freed late", r"old window freed \(late, after the new group")]
for label in labels:
    rows = {}
    for path in sorted(glob.glob(os.path.join(d, f"{label}-*.txt"))):
        ev = []
        for l in open(path, errors="replace"):
            m = line_re.search(l)
            if m:
                h, mi, s, ms = map(int, m.groups()[:4]); ev.append(((h * 3600 + mi * 60 + s) * 1000 + ms, m.group(7)))
        t0 = next((t for t, msg in ev if msg.startswith("DECISION(commit) sent")), None)
        if t0 is None:
            continue
        for name, pat in steps:
            ts = [t for t, msg in ev if re.search(pat, msg)]
            if name == "old window freed":
                ts = [t for t, msg in ev if msg == "commit step: old window freed"]
            if ts:
                rows.setdefault(name, []).append(max(ts) - t0)
        mig = next((l for l in open(path, errors="replace") if "MIGRATION rank=" in l), None)
        if mig:
            f = dict(kv.split("=", 1) for kv in mig[mig.index("MIGRATION rank="):].split() if "=" in kv)
            rows.setdefault("commit+resume (MIGRATION line)", []).append(float(f["resumed_ms"]) - float(f["restored_ms"]))
    print(f"{label}:")
    for name, v in rows.items():
        print(f"  {name:34s} median {statistics.median(v):7.1f}  ({' '.join(f'{x:.0f}' for x in v)})")
