#!/usr/bin/env bash
# A/B alternation: main (bff2098 build copied to /tmp/ring64-main) vs branch ring64.
. /work/wt/ring64/scripts/env.sh
cd /tmp
tag=$1; pairs=$2; sizes=${3:-"1 16 64"}
for i in $(seq 1 $pairs); do
  for v in main ring; do
    if [ $v = main ]; then B=/tmp/ring64-main/net10.0/StateTransferBench; else B=/tmp/ring64-ring/net10.0/StateTransferBench; fi
    echo "=== $tag pair $i $v $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
    flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec -n 1 $B --rounds 3 --sizes "$sizes" --graph-nodes 1000 > /tmp/ring64-runs/$tag-$i-$v.out 2>/tmp/ring64-runs/$tag-$i-$v.err
    grep '^row,.*,shm,' /tmp/ring64-runs/$tag-$i-$v.out | grep -v graph
  done
done
echo "=== end $(date -u +%H:%M:%S)"
