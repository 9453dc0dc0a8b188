#!/bin/bash
# IS class W, Mitten vs plain (and control plain-dup vs plain), alternating jobs.
cd /work/main; . scripts/env.sh
out=/work/tmp/w21; n=${1:-6}
for k in $(seq 1 $n); do
  for v in mitten plain; do
    echo "$(date +%T) load $(cut -d' ' -f1 /proc/loadavg) job $k $v"
    MITTEN_STARTUP_REPORT=1 flock /tmp/mitten-mpi-jobs.lock timeout 600 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 2 bench/IS/bin/Release/net10.0/IS --class W --compare $v --repeats 300 --interleave > $out/$v-$k.out 2> $out/$v-$k.err
  done
done
echo done
