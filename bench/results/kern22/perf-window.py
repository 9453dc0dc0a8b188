#!/usr/bin/env python3
"""kern22: one IS C/4 job per program under `perf record -a -g -e cpu-clock -F 999`; from `perf script -F
comm,tid,time,ip,sym` text, the samples after the last page-clearing one inside process_vm_rw (the first,
untimed iteration faults the receive buffer in) plus 0.3 s: the cross-process copy's samples split by what
process_vm_rw_core was doing, and the rank samples in Open MPI's progress loop / sched_yield outside it."""
import collections, sys

def stacks(path):
    cur = None
    for line in open(path):
        if not line.strip():
            if cur:
                yield cur
            cur = None
        elif not line.startswith((' ', '\t')):
            p = line.split()
            cur = (p[0], float([x for x in p if x.endswith(':')][0][:-1]), [])
        else:
            p = line.split(None, 1)
            cur[2].append(p[1].strip() if len(p) > 1 else '?')
    if cur:
        yield cur

for path in sys.argv[1:]:
    all_ = list(stacks(path))
    pv = [(t, s) for c, t, s in all_ if any('process_vm_rw' in f for f in s)]
    start = max(t for t, s in pv if s[0].startswith('clear_page')) + 0.3
    late = [s for t, s in pv if t > start]
    parts = collections.Counter()
    for s in late:
        for i, f in enumerate(s):
            if 'process_vm_rw_core' in f:
                parts[s[i - 1] if i > 0 else '(self)'] += 1
                break
    spin = sum(1 for c, t, s in all_ if t > start and c in ('is', 'IS') and not any('process_vm_rw' in f for f in s)
               and any('sched_yield' in f or 'mca_btl_vader' in f or 'opal_progress' in f for f in s))
    print(f"{path}: process_vm_rw samples {len(late)} {dict(parts.most_common(4))}; progress/yield samples {spin}")
