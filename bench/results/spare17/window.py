#!/usr/bin/env python3
"""Sum per-task run time from `perf sched timehist` output in a wall-clock window.
usage: window.py TIMEHIST OFFSET START END   (START/END as HH:MM:SS.mmm UTC of the day, OFFSET = realtime - monotonic)"""
import sys, collections, datetime, re
path, offset, start, end = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
def wall(hms):
    h, m, s = hms.split(':')
    day = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    return day + int(h) * 3600 + int(m) * 60 + float(s)
t0, t1 = wall(start) - offset, wall(end) - offset
run = collections.Counter(); delay = collections.Counter(); count = collections.Counter()
for line in open(path):
    m = re.match(r"\s*([0-9.]+)\s+\[(\d+)\]\s+(.*?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$", line)
    if not m:
        continue
    t, rt, sd = float(m.group(1)), float(m.group(6)), float(m.group(5))
    parts = [None, None, m.group(3)]
    # the line's time is the switch-out; the run was [t - rt, t]
    s, e = t - rt / 1000, t
    overlap = max(0.0, min(e, t1) - max(s, t0))
    if overlap > 0:
        name = parts[2]
        run[name] += overlap * 1000; count[name] += 1
        if t0 <= t <= t1: delay[name] += sd
total = (t1 - t0) * 1000
print(f"window {start}-{end}: {total:.1f} ms x 2 cpus = {2*total:.1f} cpu-ms")
for name, ms in run.most_common(40):
    print(f"{ms:8.2f} ms  runs {count[name]:5d}  sched-delay {delay[name]:7.2f} ms  {name}")
print(f"sum {sum(run.values()):.1f}")
