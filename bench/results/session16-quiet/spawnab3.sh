#!/bin/bash
# Spawn path (no spare), IS A / 8 ranks, rank 1 at iteration 5: three variants rotating their order each round:
# old = main 3f68642 (before the session's merges), new = merged main, new-direct0 = merged main with MITTEN_STATE_RING_DIRECT=0.
# Usage: spawnab3.sh ROUNDS OLD_IS NEW_IS OUTDIR
rounds=$1 old=$2 new=$3 out=$4; mkdir -p "$out"
cd /work/main; . scripts/env.sh
vs=(old new new-direct0)
for i in $(seq 1 "$rounds"); do
  for k in 0 1 2; do
    v=${vs[$(((k + i) % 3))]}
    b=$new; e="MITTEN_STATE_RING_DIRECT=1"
    [ $v = old ] && b=$old
    [ $v = new-direct0 ] && e="MITTEN_STATE_RING_DIRECT=0"
    load=$(cut -d' ' -f1 /proc/loadavg)
    env $e flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x MITTEN_STATE_RING_DIRECT -n 8 "$b" --class A --migrate 1@5 >"$out/$v-$i.txt" 2>&1
    m=$(grep -a "MIGRATION rank=" "$out/$v-$i.txt" | tr ' ' '\n' | grep -E "^(synchronized_ms|spawned_ms|state_sent_ms|committed_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    echo "$v round=$i $m $(grep -ao 'verified=yes' "$out/$v-$i.txt" | head -1) load=$load"
  done
done
