# rounds.py FILE BASE VARIANT...: per-round ratios (variant/base) of the replacement's process_ms, mpi_init_ms,
# spawn_ms and child_cpu_at_hello_ms from a spawnab run with mitten children (pid pairs the two lines).
import re, sys, statistics as st
t = open(sys.argv[1]).read()
start = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in re.finditer(r'mitten-startup replacement pid=(\d+) process_ms=([0-9.]+) .*?mpi_init_ms=([0-9.]+)', t)}
rows = {}
for m in re.finditer(r'spawnab: round=(\d+) variant=(\S+) pid=(\d+) spawn_ms=([0-9.]+) .*?child_cpu_at_hello_ms=([0-9.]+)', t):
    r, v, p, s, c = m.groups()
    if p in start:
        rows.setdefault(int(r), {})[v] = (start[p][0], start[p][1], float(s), float(c))
base = sys.argv[2]
for v in sys.argv[3:]:
    for i, name in enumerate(['process_ms', 'mpi_init_ms', 'spawn_ms', 'cpu_at_hello']):
        rat = [rows[r][v][i] / rows[r][base][i] for r in sorted(rows) if v in rows[r] and base in rows[r] and rows[r][base][i] > 0]
        print(f"{v}/{base} {name}: median {st.median(rat):.2f}, lower in {sum(x < 1 for x in rat)} of {len(rat)}; per round {' '.join(f'{x:.2f}' for x in rat)}")
