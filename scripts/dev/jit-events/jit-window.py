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

from trace_windows import DEFAULT_END, DEFAULT_START, ms, read_windows

args = sys.argv[1:]
show_all = "--all" in args
args = [a for a in args if a != "--all"]
start_re = re.compile(DEFAULT_START)
end_re = re.compile(DEFAULT_END)
if "--from" in args:
    i = args.index("--from"); start_re = re.compile(args[i + 1]); del args[i:i + 2]
if "--to" in args:
    i = args.index("--to"); end_re = re.compile(args[i + 1]); del args[i:i + 2]
out, events = Path(args[0]), Path(args[1])


windows, ranks = read_windows(out, start_re, end_re)

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
