#!/usr/bin/env python3
"""window.py SAMPLES FROM_HH:MM:SS.mmm TO_HH:MM:SS.mmm: processor ms per process and thread name
in the window (today's UTC date), from sampler.py's lines (a sample's ticks are charged to its time)."""
import sys, datetime, collections
def ms(t):
    d = datetime.datetime.now(datetime.timezone.utc).date()
    h, m, s = t.split(':')
    return datetime.datetime(d.year, d.month, d.day, int(h), int(m), 0, tzinfo=datetime.timezone.utc).timestamp() * 1000 + float(s) * 1000
a, b = ms(sys.argv[2]), ms(sys.argv[3])
use = collections.Counter(); proc = collections.Counter()
for line in open(sys.argv[1]):
    t, pid, tid, pc, tc, d = line.split()
    if d.startswith('new:') or not (a <= float(t) <= b + 10):
        continue
    use[(pc, pid, tc)] += int(d) * 10; proc[(pc, pid)] += int(d) * 10
print(f'window {b - a:.0f} ms; machine capacity {2 * (b - a):.0f} ms; used {sum(proc.values())} ms by these processes')
for (pc, pid), v in proc.most_common():
    threads = ', '.join(f'{tc} {u}' for (p2, pid2, tc), u in use.most_common() if pid2 == pid)
    print(f'  {pc} {pid}: {v} ms ({threads})')
