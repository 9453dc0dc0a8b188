#!/bin/bash
# Alternating MITTEN_EARLY_STATE=1/0, IS A/8 with one warm spare, one job each.
cd /work/wt/early12
. scripts/env.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OUT=bench/results/early12/ab.txt
: > $OUT
for pair in 1 2 3 4 5 6; do
  for v in 1 0; do
    timeout 300 flock /tmp/mitten-mpi-jobs.lock env MITTEN_EARLY_STATE=$v MITTEN_SPARES=1 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 8 bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 > /tmp/early12-ab.out 2>/tmp/early12-ab.err
    rc=$?
    echo "pair=$pair early=$v rc=$rc load=$(cut -d' ' -f1 /proc/loadavg) $(grep -o 'verified=[a-z]*' /tmp/early12-ab.out) $(grep -o 'MIGRATION rank=.*' /tmp/early12-ab.out)" >> $OUT
  done
done
