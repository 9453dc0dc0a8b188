#!/bin/bash
# alternating 2-rank Mpptest comparison: base then branch, N pairs; prints CSV lines prefixed "variant pair load"
. /work/wt/percall2/scripts/env.sh
cd /tmp
for i in $(seq 1 ${1:-3}); do
  for v in base branch; do
    d=${BRANCH:-/work/wt/percall2}; [ $v = base ] && d=/work/wt/percall2-base
    l=$(cut -d' ' -f1 /proc/loadavg)
    timeout 600 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe -n 2 $d/bench/Mpptest/bin/Release/net10.0/Mpptest --patterns ${PATTERNS:-bcast,reduce,pingpong,nonblocking} --sizes 0,8,64 --measurements 10 --compare mitten 2>&1 | grep "CSV" | sed "s/^/$v $i $l /"
  done
done
