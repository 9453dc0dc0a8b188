#!/usr/bin/env python3
"""What the runtime did inside each rank's migration window.

Usage: jit-window.py OUT EVENTS_DIR [--from REGEX] [--to REGEX] [--all]

OUT is the job's output with MITTEN_TRACE=1 lines ("[mitten HH:MM:SS.fff rR pidP] text"),
EVENTS_DIR the jitevents-PID.txt files the start-up hook (JitEvents.dll) wrote. For every
process, the window runs from its first trace line matching --from (default: the request taken
or the synchronization announced) to its first line matching --to after it (default: the drain's
end, or a replacement's resume); trace times have millisecond resolution, so the window is
widened by 1 ms each side. Prints per process the events inside it, grouped by thread, with
counts per kind; --all prints every event line, not only the first 80 per thread.
"""
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

args = sys.argv[1:]
show_all = "--all" in args
args = [a for a in args if a != "--all"]
start_re = re.compile(r"taken at superstep|\) led by|spare: TAKE answered")
end_re = re.compile(r"protocol step 'drain'|replacement: resuming")
if "--from" in args:
    i = args.index("--from"); start_re = re.compile(args[i + 1]); del args[i:i + 2]
if "--to" in args:
    i = args.index("--to"); end_re = re.compile(args[i + 1]); del args[i:i + 2]
out, events = Path(args[0]), Path(args[1])


def ms(stamp):
    h, m, s = stamp.lstrip("\ufeff").split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000


line_re = re.compile(r"\[mitten (\d\d:\d\d:\d\d\.\d+) r(-?\d+) pid(\d+)\] (.*)")
windows = {}
ranks = {}
for raw in out.read_text(errors="replace").splitlines():
    m = line_re.search(raw)
    if not m:
        continue
    t, rank, pid, text = ms(m.group(1)), m.group(2), m.group(3), m.group(4)
    ranks.setdefault(pid, rank)
    if pid not in windows and start_re.search(text):
        windows[pid] = [t - 1, None, text]
    elif pid in windows and windows[pid][1] is None and end_re.search(text):
        windows[pid][1] = t + 1

for pid, (begin, end, why) in sorted(windows.items(), key=lambda kv: int(ranks[kv[0]])):
    path = events / f"jitevents-{pid}.txt"
    if end is None or not path.exists():
        continue
    inside = []
    for raw in path.read_text(errors="replace").splitlines():
        parts = raw.split(" ", 3)
        if len(parts) < 3:
            continue
        t = ms(parts[0])
        if begin <= t <= end:
            inside.append((t, parts[1], parts[2], parts[3] if len(parts) > 3 else ""))
    print(f"== rank {ranks[pid]} pid {pid}: window {end - begin - 2:.0f} ms from '{why[:60]}'; {len(inside)} events")
    kinds = Counter((th, kind) for _, th, kind, _ in inside)
    for (th, kind), n in sorted(kinds.items()):
        print(f"   {th} {kind}: {n}")
    per_thread = defaultdict(int)
    for t, th, kind, what in inside:
        per_thread[th] += 1
        if show_all or per_thread[th] <= 80:
            print(f"   {t - begin - 1:7.2f} {th} {kind} {what}")
