#!/usr/bin/env python3
"""Summarizes phases.sh output: per impl, median over runs (rep>=SKIP) of the max over ranks
and the mean over ranks of each phase (ms), and the median RESULT seconds (ms)."""
import sys, statistics as st, collections
path = sys.argv[1]; skip = int(sys.argv[2]) if len(sys.argv) > 2 else 2
ph = collections.defaultdict(lambda: collections.defaultdict(list))  # (impl) -> (round,rep) -> [dict per rank]
res = collections.defaultdict(list); loads = []
for line in open(path):
    f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    if 'PHASES' in line:
        if int(f['rep']) >= skip:
            ph[f['impl']][(f['round'], f['rep'])].append(f)
    elif 'RESULT' in line:
        loads.append(float(f['load']))
        if int(f['rep']) >= skip:
            res[f['impl']].append(float(f['seconds']) * 1e3)
names = ['local_ms', 'allreduce_ms', 'alltoall_ms', 'alltoallv_ms', 'keyrank_ms', 'thread_cpu_ms', 'process_cpu_ms', 'vcsw', 'ivcsw', 'local_cpu_ms', 'allreduce_cpu_ms', 'alltoall_cpu_ms', 'alltoallv_cpu_ms', 'keyrank_cpu_ms']
print(f"{path}: runs rep>={skip}, load {min(loads):.1f}-{max(loads):.1f} (median {st.median(loads):.1f})")
print(f"{'impl':8} {'seconds':>8} " + ' '.join(f"{n.replace('_ms','').replace('_cpu','C').replace('alltoall','a2a'):>9}" for n in names) + "   (mean over ranks, median over runs; ms per 10 iterations)")
for impl in sorted(ph):
    runs = ph[impl].values()
    mean = [st.median([st.mean(float(r.get(n, 'nan')) for r in run) for run in runs]) for n in names]
    print(f"{impl:8} {st.median(res[impl]):8.3f} " + ' '.join(f"{v:9.3f}" for v in mean) + f"  n={len(res[impl])}")
