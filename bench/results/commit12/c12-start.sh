#!/bin/bash
# usage: c12-start.sh RANKS PREPARED OUT
cd /work/wt/commit12 && . scripts/env.sh
flock /tmp/mitten-mpi-jobs.lock bash -c "s=\$(date +%s%N); env MITTEN_SPARES=1 MITTEN_TRACE=1 MITTEN_PREPARED_GROUPS=$2 timeout 170 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n $1 bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 > $3 2>&1; e=\$(date +%s%N); echo wall_ms=\$(( (e-s)/1000000 ))" > $3.wall
prep=$(grep -o "prepared [0-9]* groups ([0-9]* with this process) in [0-9.]* ms" $3 | sed -E 's/.* in ([0-9.]+) ms/\1/' | sort -n | tail -1)
n=$(grep -o "prepared [0-9]* groups" $3 | head -1)
ok=$(grep -c "Verification    =               SUCCESSFUL" $3)
m=$(grep "^MIGRATION rank" $3 | head -1); tot=$(echo "$m" | sed -E "s/.*resumed_ms=([0-9.]+).*/\1/"); fr=$(echo "$m" | sed -E "s/.*freeze_ms=([0-9.]+).*/\1/")
echo "$(date -u +%H:%M:%S) total=$tot freeze=$fr ranks=$1 prepared=$2 $(cat $3.wall) prep_max_ms=$prep ($n) ok=$ok load=$(cut -d' ' -f1 /proc/loadavg)"
