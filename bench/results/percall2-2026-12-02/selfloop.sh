#!/bin/bash
# alternating self-loop: base then branch, N pairs
. /work/wt/percall2/scripts/env.sh
cd /tmp
for i in $(seq 1 ${1:-4}); do
  for v in base branch; do
    d=${BRANCH:-/work/wt/percall2}; [ $v = base ] && d=/work/wt/percall2-base
    out=$(timeout 300 flock /tmp/mitten-mpi-jobs.lock mpiexec -n 1 $d/bench/Mpptest/bin/Release/net10.0/Mpptest --self-loop 5000 --measurements 200 2>&1 | grep SELFLOOP)
    echo "pair=$i v=$v load=$(cut -d' ' -f1 /proc/loadavg)"; echo "$out"
  done
done
