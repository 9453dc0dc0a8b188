#!/bin/bash
rounds=$1; shift
vars=("$@"); n=${#vars[@]}
for r in $(seq 1 $rounds); do
  for k in $(seq 0 $((n-1))); do
    v=${vars[$(( (k + r) % n ))]}
    IFS='|' read -r label envs cmd <<< "$v"
    out=$(env $envs perf stat -x, -e task-clock $cmd 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
    echo "$label $out"
  done
done | python3 -c '
import sys,statistics,collections
d=collections.defaultdict(list)
for l in sys.stdin:
    a=l.split()
    if len(a)==2: d[a[0]].append(float(a[1]))
for k,v in d.items(): print(f"{k:12s} median {statistics.median(v):6.1f}  min {min(v):6.1f}  n={len(v)}")
'
