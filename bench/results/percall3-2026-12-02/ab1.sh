#!/usr/bin/env bash
. /work/wt/percall3/scripts/env.sh
export TERM=dumb
pairs=$1; la=$2; da=$3; lb=$4; db=$5; shift 5
ARGS=("$@"); run() { flock /tmp/mitten-mpi-jobs.lock mpiexec -n 1 $2/bench/Mpptest/bin/Release/net10.0/Mpptest "${ARGS[@]}" 2>&1 | grep "^CSV measure\|^CSV ratio" | sed "s/^/$1 /"; }
for i in $(seq 1 $pairs); do
  if [ $((i%2)) = 1 ]; then run $la $da "$@"; run $lb $db "$@"; else run $lb $db "$@"; run $la $da "$@"; fi
done
