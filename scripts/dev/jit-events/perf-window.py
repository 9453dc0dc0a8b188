#!/usr/bin/env python3
"""Where each rank's processor time went inside its migration window, from perf samples.

Usage: perf-window.py OUT SCRIPT [--from REGEX] [--to REGEX] [--top N]

OUT: the job's output with MITTEN_TRACE=1 lines; SCRIPT: `perf script -F pid,tid,time,ip,sym,dso`
of a `perf record -g -k CLOCK_REALTIME` taken while the job ran (DOTNET_PerfMapEnabled=1 names
managed code). Windows as in jit-window.py. Prints per process: samples per thread, the leaf
functions (symbol and library) and the libraries, most samples first.
"""
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from trace_windows import DEFAULT_END, DEFAULT_START, read_windows

args = sys.argv[1:]
top = 25
start_re = re.compile(DEFAULT_START)
end_re = re.compile(DEFAULT_END)
for flag in ("--from", "--to", "--top"):
    if flag in args:
        i = args.index(flag)
        value = args[i + 1]
        del args[i:i + 2]
        if flag == "--from":
            start_re = re.compile(value)
        elif flag == "--to":
            end_re = re.compile(value)
        else:
            top = int(value)
out, script = Path(args[0]), Path(args[1])


windows, ranks = read_windows(out, start_re, end_re)

samples = defaultdict(list)  # pid -> [(t, tid, [(sym, dso)...])]
head_re = re.compile(r"^\s*(\d+)/(\d+)\s+(\d+\.\d+):")
frame_re = re.compile(r"^\s+[0-9a-f]+ (.*) \((.*)\)$")
current = None
for raw in script.read_text(errors="replace").splitlines():
    h = head_re.match(raw)
    if h:
        pid, tid, epoch = h.group(1), h.group(2), float(h.group(3))
        current = None
        if pid in windows and windows[pid][1] is not None:
            t = (epoch % 86400) * 1000
            if windows[pid][0] <= t <= windows[pid][1]:
                current = []
                samples[pid].append((t, tid, current))
        continue
    f = frame_re.match(raw)
    if f and current is not None:
        sym, dso = f.group(1), f.group(2).rsplit("/", 1)[-1]
        current.append((re.sub(r"\+0x[0-9a-f]+$", "", sym), dso))

for pid, (begin, end, why) in sorted(windows.items(), key=lambda kv: int(ranks[kv[0]])):
    got = samples.get(pid, [])
    if end is None:
        continue
    print(f"== rank {ranks[pid]} pid {pid}: window {end - begin - 2:.1f} ms from '{why[:50]}'; {len(got)} samples")
    print("   threads:", dict(Counter(tid for _, tid, _ in got)))
    leaf = Counter(f"{s[0][0]} [{s[0][1]}]" for _, _, s in got if s)
    dsos = Counter(s[0][1] for _, _, s in got if s)
    print("   libraries:", ", ".join(f"{d} {n}" for d, n in dsos.most_common(12)))
    for name, n in leaf.most_common(top):
        print(f"   {n:5d} {name}")
