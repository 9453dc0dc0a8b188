#!/bin/bash
# vary.sh CLASS ROUNDS REPEATS "label=ENV ..." : alternates is-exp variants, prints median alltoallv_ms / local_ms of runs 2..
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cls=$1 rounds=$2 reps=$3; shift 3
out=/tmp/kern18/vary-$cls-$$.txt
for r in $(seq 1 $rounds); do
  for v in "$@"; do
    label=${v%%=*}; envs=${v#*=}
    timeout 60 flock /tmp/mitten-mpi-jobs.lock env IS_PHASE_TIMES=1 $envs mpiexec --oversubscribe -n 1 ${PROG:-./is-exp} --class $cls --repeats $reps 2>&1 \
      | grep -o "alltoallv_ms=[0-9.]*\|local_ms=[0-9.]*\|alltoallv_cpu_ms=[0-9.]*" | paste -sd' ' | sed "s/^/$label round=$r /" >> $out
  done
done
echo $out
