#!/usr/bin/env bash
# main (bff2098 build) / ring64 (16 MiB ring) / ring64 with MITTEN_STATE_RING_BYTES=64 MiB, alternating.
. /work/wt/ring64/scripts/env.sh
cd /tmp
tag=$1; n=$2; sizes=${3:-"1 16 64"}
for i in $(seq 1 $n); do
  for v in main ring ring64m; do
    case $v in
      main) B=/tmp/ring64-main/net10.0/StateTransferBench; E="" ;;
      ring) B=/tmp/ring64-ring/net10.0/StateTransferBench; E="" ;;
      ring64m) B=/tmp/ring64-ring/net10.0/StateTransferBench; E="-x MITTEN_STATE_RING_BYTES=67108864" ;;
    esac
    echo "=== $tag $i $v $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
    flock /tmp/mitten-mpi-jobs.lock timeout 300 env ${E#-x } mpiexec $E -n 1 $B --rounds 3 --sizes "$sizes" --graph-nodes 1000 > /tmp/ring64-runs/$tag-$i-$v.out 2>/tmp/ring64-runs/$tag-$i-$v.err
    grep '^row,.*,shm,' /tmp/ring64-runs/$tag-$i-$v.out | grep -v graph | cut -d, -f2,3,7 | tr '\n' ' '; echo
  done
done
echo "=== end $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
