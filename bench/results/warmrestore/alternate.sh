#!/bin/bash
# main / warmrestore alternating, IS class A 8 ranks rank 1 @ 5, MITTEN_SPARES=1
. /work/wt/warmrestore/scripts/env.sh
pairs=$1; shift
export TERM=dumb
for i in $(seq 1 $pairs); do
  if [ $((i % 2)) -eq 1 ]; then order="/work/wt/warmrestore-main /work/wt/warmrestore"; else order="/work/wt/warmrestore /work/wt/warmrestore-main"; fi
  for d in $order; do
    out=$(cd "$d" && flock /tmp/mitten-mpi-jobs.lock env MITTEN_SPARES=1 "$@" timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 8 \
      bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 2>&1)
    m=$(echo "$out" | grep -a "MIGRATION rank=" | sed "s/.*MIGRATION/MIGRATION/" | head -1)
    v=$(echo "$out" | grep -ao "verified=yes" | head -1)
    tr=$(echo "$out" | grep -a "replacement: \(state restored\|MPI_Comm_create\|resume\)" | sed 's/.*replacement: //' | tr '\n' '|')
    echo "pair=$i $(basename "$d") $m ${v:-verified=no} load=$(cut -d' ' -f1 /proc/loadavg) $(date +%H:%M:%S) $tr"
  done
done
