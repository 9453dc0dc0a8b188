#!/usr/bin/env python3
"""Per-job trace steps of an alternate-env.sh directory (MITTEN_TRACE=1): DIR [LABEL...].
doorbell = 'took spare ... doorbell X ms'; open = 'state sender opened in X ms'; writes = ring writes' own ms;
reads = the spare's ring reads ms; codec = application codec ms; commit->free = 'COMMIT received' -> 'disconnected'/'freed'."""
import glob, os, re, sys, statistics
from datetime import datetime
d = sys.argv[1]; labels = sys.argv[2:]
def ts(line):
    m = re.match(r"\[mitten (\d\d:\d\d:\d\d\.\d+)", line); return datetime.strptime(m.group(1), "%H:%M:%S.%f") if m else None
rows = {}
for path in sorted(glob.glob(os.path.join(d, "*-*.txt"))):
    m = re.match(r"(.+)-(\d+)\.txt$", os.path.basename(path))
    if not m or (labels and m.group(1) not in labels): continue
    r = {}; commit = None
    for line in open(path, errors="replace"):
        if (x := re.search(r"took spare .*doorbell ([\d.]+) ms", line)): r["doorbell"] = float(x.group(1))
        if (x := re.search(r"state sender opened in ([\d.]+) ms", line)): r["open"] = float(x.group(1))
        if (x := re.search(r"header sent: \d+ bytes, built in ([\d.]+) ms", line)): r["header"] = float(x.group(1))
        if (x := re.search(r"r\d+ pid\d+\] state transport: \d+ ring writes in ([\d.]+) ms \(room waits \d+, ([\d.]+) ms\)", line)): r["writes-own"] = float(x.group(1)) - float(x.group(2))
        if (x := re.search(r"replacement: state transport: \d+ ring reads in ([\d.]+) ms", line)): r["reads"] = float(x.group(1))
        if (x := re.search(r"application codec ([\d.]+) ms", line)): r["codec"] = float(x.group(1))
        if "replacement: COMMIT received" in line: commit = ts(line)
        if (x := re.search(r"replacement: resume: protocol object ([\d.]+) ms", line)): r["protocol-obj"] = float(x.group(1))
        if ("replacement: disconnected" in line or "replacement: freed the intercommunicator" in line or "replacement: resuming (COMMIT echoed" in line) and commit: r["commit->free"] = (ts(line) - commit).total_seconds() * 1000
    rows.setdefault(m.group(1), []).append((int(m.group(2)), r))
keys = ["doorbell", "open", "header", "writes-own", "reads", "codec", "commit->free", "protocol-obj"]
for l, rs in rows.items():
    print(f"{l}:")
    for k in keys:
        v = [r.get(k) for _, r in sorted(rs)]; vv = [x for x in v if x is not None]
        print(f"  {k:13s} {' '.join('-' if x is None else f'{x:.1f}' for x in v)}  (median {statistics.median(vv):.2f})" if vv else f"  {k}: -")
