#!/usr/bin/env bash
# Session 11: main (d3d2473) against session 10's main (bff2098), alternating, IS class A on 8
# ranks, rank 1 moving at iteration 5; SPARES=0 (spawn) or 1. Usage: ab.sh PAIRS SPARES
. /work/main/scripts/env.sh
pairs=$1 spares=$2
for p in $(seq 1 "$pairs"); do
  order="s10 main"; [ $((p % 2)) -eq 0 ] && order="main s10"
  for v in $order; do
    dir=/work/main; [ "$v" = s10 ] && dir=/work/wt/s10
    line=$(MITTEN_SPARES=$spares flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 \
      -n 8 $dir/bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 2>&1 | grep -o 'MIGRATION rank=.*' | head -1)
    echo "pair=$p variant=$v load=$(cut -d' ' -f1 /proc/loadavg) $line"
  done
done
