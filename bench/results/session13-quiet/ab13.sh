#!/usr/bin/env bash
# IS A/8 with one spare, rank 1 at iteration 5: variants of MITTEN_EARLY_STATE x MITTEN_EARLY_MARKERS, rotating order.
cd /work/main; . scripts/env.sh
rounds=${1:-5}; ranks=${2:-8}; class=${3:-A}
variants=("0 0" "1 0" "0 1" "1 1")
for r in $(seq 1 $rounds); do
  for k in 0 1 2 3; do
    i=$(( (k + r) % 4 )); set -- ${variants[$i]}
    line=$(MITTEN_SPARES=1 MITTEN_EARLY_STATE=$1 MITTEN_EARLY_MARKERS=$2 flock /tmp/mitten-mpi-jobs.lock timeout 120 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n $ranks bench/IS/bin/Release/net10.0/IS --class $class --migrate 1@5 2>&1 | grep -o 'MIGRATION rank=.*' | head -1)
    echo "round=$r es=$1 em=$2 load=$(cut -d' ' -f1 /proc/loadavg) $line"
  done
done
