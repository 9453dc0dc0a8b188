#!/usr/bin/env python3
"""Tables from bench/native/spawnab.c output (stdout and stderr in one file).

usage: spawnab.py FILE... [--ref LABEL]
Per variant: medians (min-max) of each field; per round, the ratio of init_ms and hello_ms to the
reference variant's in the same round (default: the first variant seen), and their median.
For a mitten child the fields its MITTEN_STARTUP_REPORT line gives are joined by pid:
process_ms (its age at MittenSession.Start), before_init_ms, mpi_init_ms (library load + MPI_Init).
"""
import re, statistics, sys
from collections import defaultdict, OrderedDict

args = sys.argv[1:]
ref = None
if '--ref' in args:
    i = args.index('--ref'); ref = args[i + 1]; del args[i:i + 2]
rows, startup = [], {}
for path in args:
    for line in open(path, errors='replace'):
        m = re.search(r'mitten-startup replacement pid=(\d+) process_ms=(\S+) before_init_ms=(\S+) mpi_init_ms=(\S+)', line)
        if m:
            startup[(path, m.group(1))] = dict(process_ms=float(m.group(2)), before_init_ms=float(m.group(3)), mpi_init_ms=float(m.group(4)))
            continue
        i = line.find('spawnab: round=')  # a child's terminal codes may precede it
        if i >= 0:
            row = dict(kv.split('=', 1) for kv in line[i:].split()[1:])
            row['file'] = path
            rows.append(row)
for row in rows:
    for k, v in startup.get((row['file'], row['pid']), {}).items():
        row[k] = v
fields = ['spawn_ms', 'hello_ms', 'exec_ms', 'main_ms', 'load_ms', 'init_ms', 'init_cpu_ms', 'init_thread_cpu_ms',
          'cpu_before_init_ms', 'threads', 'threads_at_hello', 'child_cpu_at_hello_ms', 'launcher_cpu_ms', 'idle_pct', 'load1',
          'process_ms', 'before_init_ms', 'mpi_init_ms']
by = OrderedDict()
for row in rows:
    by.setdefault(row['variant'], []).append(row)
ref = ref or next(iter(by))

def val(row, f):
    v = row.get(f)
    if v is None:
        return None
    v = float(v)
    return None if v < 0 and f not in ('idle_pct',) and v == -1 else v

print('| variant | n | ' + ' | '.join(fields) + ' |')
print('|---|---:|' + '---:|' * len(fields))
for label, rs in by.items():
    cells = []
    for f in fields:
        vs = [x for x in (val(r, f) for r in rs) if x is not None]
        cells.append('-' if not vs else f'{statistics.median(vs):.1f} ({min(vs):.0f}-{max(vs):.0f})')
    print(f'| {label} | {len(rs)} | ' + ' | '.join(cells) + ' |')

# per-round ratios against the reference (same file, same round)
refs = {(r['file'], r['round']): r for r in by.get(ref, [])}
print()
for f in ('init_ms', 'hello_ms', 'spawn_ms'):
    for label, rs in by.items():
        if label == ref:
            continue
        ratios = []
        for r in rs:
            b = refs.get((r['file'], r['round']))
            a, c = val(r, f), (val(b, f) if b else None)
            if f == 'init_ms' and a is None:
                a = val(r, 'mpi_init_ms')
            if a is not None and c:
                ratios.append(a / c)
        if ratios:
            print(f'{f} {label}/{ref}: median {statistics.median(ratios):.2f} per round ' + ','.join(f'{x:.2f}' for x in ratios))
