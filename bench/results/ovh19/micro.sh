#!/bin/bash
# Usage: micro.sh OUT JOBS [MEAS] — JOBS runs of bench/native/blockwait (built into /work/tmp/ovh19),
# each a 2-rank mpiexec holding the job lock, appended to OUT with the time and load.
out=$1; jobs=$2; meas=${3:-101}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for j in $(seq 1 "$jobs"); do
  echo "# job $j $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
  timeout 300 flock /tmp/mitten-mpi-jobs.lock mpiexec -n 2 /work/tmp/ovh19/blockwait --measurements "$meas" --min-ms 0.5 >> "$out" 2>&1
done
