#!/usr/bin/env python3
"""Per-pair ratios (early=1 / early=0) of total, freeze (from synchronized) and freeze from the stop, from ab.txt."""
import re, statistics, sys
rows = {}
for line in open(sys.argv[1] if len(sys.argv) > 1 else 'ab.txt'):
    m = re.match(r'pair=(\d+) early=(\w+) rc=(\d+) load=([\d.]+) (verified=\w+)? ?(.*)', line)
    if not m or 'resumed_ms' not in line:
        continue
    f = dict(kv.split('=', 1) for kv in m.group(6).split() if '=' in kv)
    total, freeze, stopped, sync = float(f['resumed_ms']), float(f['freeze_ms']), float(f['stopped_ms']), float(f['synchronized_ms'])
    rows.setdefault(int(m.group(1)), {})[m.group(2)] = dict(total=total, freeze=freeze, from_stop=total - stopped, sync=sync, stopped=stopped, load=float(m.group(4)), verified=m.group(5))
variants = sorted({v for r in rows.values() for v in r if v != '0'})
for var in variants:
    print(f'--- early={var} against early=0 (ratio = {var} / 0)')
    print('pair  load(v/0)   total v / 0 (ratio)     freeze v / 0 (ratio)     from stop v / 0 (ratio)')
    ratios = {'total': [], 'freeze': [], 'from_stop': []}
    for p in sorted(rows):
        r = rows[p]
        if var not in r or '0' not in r:
            continue
        a, b = r[var], r['0']
        cells = []
        for k in ratios:
            ratios[k].append(a[k] / b[k])
            cells.append(f'{a[k]:7.1f} / {b[k]:7.1f} ({a[k] / b[k]:.2f})')
        print(f'{p:4d}  {a["load"]:.1f}/{b["load"]:.1f}  ' + '  '.join(cells) + f'  {a["verified"]} {b["verified"]}')
    for k, v in ratios.items():
        if v:
            print(f'median ratio {k}: {statistics.median(v):.2f} ({sum(x < 1 for x in v)}/{len(v)} pairs faster with early={var})')
for v in variants + ['0']:
    vals = [rows[p][v] for p in rows if v in rows[p]]
    if vals:
        print(f'early={v}: median total {statistics.median(x["total"] for x in vals):.1f}, freeze {statistics.median(x["freeze"] for x in vals):.1f}, '
              f'from stop {statistics.median(x["from_stop"] for x in vals):.1f}, stopped {statistics.median(x["stopped"] for x in vals):.1f}, synchronized {statistics.median(x["sync"] for x in vals):.1f} ms, load {statistics.median(x["load"] for x in vals):.1f} (n={len(vals)})')
