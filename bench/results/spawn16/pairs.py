#!/usr/bin/env python3
"""pairs.py DIR[,DIR...] A B: per-round table of alt-env.sh's jobs, variant B against A (ratios B/A).
sync = synchronized, spawn = spawned - synchronized, transfer = restored - spawned, commit = resumed - restored,
total = resumed (ms since the request was taken); mpi_init = the replacement's (mitten-startup)."""
import re, sys, os, statistics
dirs, a, b = sys.argv[1].split(','), sys.argv[2], sys.argv[3]
def ph(f):
    if not os.path.exists(f): return None
    t = open(f, errors='replace').read()
    m = re.search(r'^MIGRATION rank=.*', t, re.M)
    if not m or 'verified=yes' not in t: return None
    v = {k: float(x) for k, x in re.findall(r'(\w+)_ms=([\d.]+)', m.group(0))}
    i = re.search(r'mpi_init_ms=([\d.]+)', t); l = re.search(r'load_at_start=([\d.]+)', t)
    return dict(sync=v['synchronized'], spawn=v['spawned'] - v['synchronized'], transfer=v['restored'] - v['spawned'],
                commit=v['resumed'] - v['restored'], total=v['resumed'], mpi_init=float(i.group(1)) if i else float('nan'),
                load=float(l.group(1)) if l else float('nan'))
keys = ['sync', 'spawn', 'transfer', 'commit', 'total', 'mpi_init']
cols = {k: ([], [], []) for k in keys}
print(f'| round | load {a} / {b} | ' + ' | '.join(f'{k} {a} / {b}' for k in keys) + f' | total {b}/{a} | spawn {b}/{a} |')
print('|---|---|' + '---|' * len(keys) + '---:|---:|')
for d in dirs:
    n = 1
    while os.path.exists(f'{d}/{a}-{n}.txt') or os.path.exists(f'{d}/{b}-{n}.txt'):
        pa, pb = ph(f'{d}/{a}-{n}.txt'), ph(f'{d}/{b}-{n}.txt')
        if pa and pb:
            for k in keys:
                cols[k][0].append(pa[k]); cols[k][1].append(pb[k]); cols[k][2].append(pb[k] / pa[k])
            print(f'| {os.path.basename(d)}:{n} | {pa["load"]:.1f} / {pb["load"]:.1f} | ' + ' | '.join(f'{pa[k]:.0f} / {pb[k]:.0f}' for k in keys)
                  + f' | {pb["total"] / pa["total"]:.2f} | {pb["spawn"] / pa["spawn"]:.2f} |')
        n += 1
med = statistics.median
print('| median | | ' + ' | '.join(f'{med(cols[k][0]):.1f} / {med(cols[k][1]):.1f}' for k in keys) + f' | {med(cols["total"][2]):.2f} | {med(cols["spawn"][2]):.2f} |')
print(f'\nper-round ratios {b}/{a}: ' + '; '.join(f'{k} ' + ','.join(f'{r:.2f}' for r in cols[k][2]) + f' (median {med(cols[k][2]):.2f}, lower in {sum(r < 1 for r in cols[k][2])} of {len(cols[k][2])})' for k in keys))
