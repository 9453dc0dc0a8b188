#!/usr/bin/env python3
"""sampler.py OUT SECONDS [INTERVAL_MS]: every INTERVAL_MS (default 20), the processor ticks
(utime+stime, /proc/PID/task/TID/stat) of every thread of every process whose command is IS,
SpawnProbe, spawnab, mpiexec or orted; one line per sample and thread that used time since the
previous sample: unix_ms pid tid process_comm thread_comm delta_ticks. For diagnosis only: its
own reading costs processor time too."""
import os, sys, time
out, seconds = sys.argv[1], float(sys.argv[2])
interval = (float(sys.argv[3]) if len(sys.argv) > 3 else 20) / 1000
names = {'IS', 'SpawnProbe', 'spawnab', 'mpiexec', 'orted'}
last = {}
end = time.time() + seconds
with open(out, 'w') as f:
    while time.time() < end:
        now = time.time() * 1000
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                pcomm = open(f'/proc/{pid}/comm').read().strip()
                if pcomm not in names:
                    continue
                for tid in os.listdir(f'/proc/{pid}/task'):
                    s = open(f'/proc/{pid}/task/{tid}/stat').read()
                    r = s.rfind(')')
                    tcomm = s[s.find('(') + 1:r].replace(' ', '_')
                    v = s[r + 2:].split()
                    ticks = int(v[11]) + int(v[12])
                    key = (pid, tid)
                    if key in last and ticks != last[key]:
                        f.write(f'{now:.0f} {pid} {tid} {pcomm} {tcomm} {ticks - last[key]}\n')
                    elif key not in last and ticks:
                        f.write(f'{now:.0f} {pid} {tid} {pcomm} {tcomm} new:{ticks}\n')
                    last[key] = ticks
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
        time.sleep(max(0, interval - (time.time() * 1000 - now) / 1000))
