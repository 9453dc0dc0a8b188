#!/bin/bash
# Spawn path (no spare), IS A / 8 ranks, rank 1 at iteration 5: main before this session's merges
# (3f68642, built in a worktree) against the merged main, alternating which goes first.
# Usage: spawnab.sh PAIRS OLD_IS NEW_IS OUTDIR
pairs=$1 old=$2 new=$3 out=$4; mkdir -p "$out"
cd /work/main; . scripts/env.sh
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then b=$old; else b=$new; fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 8 "$b" --class A --migrate 1@5 >"$out/$v-$i.txt" 2>&1
    m=$(grep -a "MIGRATION rank=" "$out/$v-$i.txt" | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|spawned_ms|state_sent_ms|restored_ms|committed_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    echo "$v pair=$i $m $(grep -ao 'verified=yes' "$out/$v-$i.txt" | head -1) load=$load"
  done
done
