#!/usr/bin/env python3
"""Per-pair ratios of the spawn path's phases from an alternate-binaries.sh log (B / A):
spawn = spawned_ms (since the request: synchronization included; the log has no synchronized_ms),
transfer+restore = restored - spawned, commit+resume = resumed - restored, total = resumed,
freeze, the replacement's MPI_Init and process_ms.  usage: phases.py LOG A B [--max-load L]"""
import re, statistics, sys
log, a, b = sys.argv[1:4]
maxload = float(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == '--max-load' else 1e9
rows = {}
for line in open(log):
    m = re.match(r'(\S+) pair=(\d+) (.*)', line)
    if not m:
        continue
    kv = dict(re.findall(r'(\w+)=([\d.]+)', m.group(3)))
    f = {k: float(v) for k, v in kv.items()}
    r = {"spawn": f["spawned_ms"], 'transfer+restore': f['restored_ms'] - f['spawned_ms'],
         'commit+resume': f['resumed_ms'] - f['restored_ms'], 'total': f['resumed_ms'], 'freeze': f['freeze_ms'],
         'protocol': f['protocol_ms'], 'mpi_init': f.get('mpi_init_ms', float('nan')), 'process_ms': f.get('process_ms', float('nan')), 'load': f['load']}
    rows.setdefault(int(m.group(2)), {})[m.group(1)] = r
pairs = [p for p in sorted(rows) if a in rows[p] and b in rows[p] and max(rows[p][a]['load'], rows[p][b]['load']) <= maxload]
print(f"{log}: {b}/{a}, pairs {pairs} (max load {maxload:g}); loads {[ (rows[p][a]['load'], rows[p][b]['load']) for p in pairs]}")
if not pairs:
    sys.exit(0)
for k in ['total', 'freeze', 'spawn', 'transfer+restore', 'commit+resume', 'protocol', 'mpi_init', 'process_ms']:
    xa = [rows[p][a][k] for p in pairs]; xb = [rows[p][b][k] for p in pairs]
    rat = [y / x for x, y in zip(xa, xb) if x > 0]
    print(f"{k:17s} {a} median {statistics.median(xa):7.1f}  {b} median {statistics.median(xb):7.1f}  ratios " +
          " ".join(f"{r:.2f}" for r in rat) + f"  median {statistics.median(rat):.2f}, {sum(r < 1 for r in rat)}/{len(rat)} lower")
