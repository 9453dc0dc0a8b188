#!/bin/bash
# ab.sh ROUNDS OUT variant... : alternate Mpptest --compare mitten on collectives 0,8 across worktrees
rounds=$1; out=$2; shift 2
. /work/main/scripts/env.sh
for r in $(seq 1 $rounds); do
  for v in "$@"; do
    line="$r $v"
    res=$(flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe -n 2 /work/$v/bench/Mpptest/bin/Release/net10.0/Mpptest --patterns ${PATTERNS:-bcast,allreduce,alltoall,reduce,barrier} --sizes ${SIZES:-0,8} --compare mitten 2>&1 | awk -F, '/^CSV ratio/ {printf "%s/%s:%s ", $2, $5, $6}')
    echo "$line $res" | tee -a $out
  done
done
