#!/bin/bash
# usage: c12-pair.sh LABEL PREPARED(64|0) OUT
cd /work/wt/commit12 && . scripts/env.sh
start=$(date +%s.%N)
flock /tmp/mitten-mpi-jobs.lock env MITTEN_SPARES=1 MITTEN_TRACE=1 MITTEN_PREPARED_GROUPS=$2 timeout 170 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 8 bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 > $3 2>&1
end=$(date +%s.%N)
m=$(grep "^MIGRATION rank" $3 | head -1)
tot=$(echo "$m" | sed -E 's/.*resumed_ms=([0-9.]+).*/\1/'); fr=$(echo "$m" | sed -E 's/.*freeze_ms=([0-9.]+).*/\1/')
ok=$(grep -c "Verification    =               SUCCESSFUL" $3)
path=$(grep -o "commit path: [a-zA-Z/_ ]*" $3 | head -1)
prep=$(grep -o "prepared [0-9]* groups ([0-9]* with this process) in [0-9.]* ms" $3 | sed -E 's/.* in ([0-9.]+) ms/\1/' | sort -n | tail -1)
echo "$(date -u +%H:%M:%S) $1 total=$tot freeze=$fr ok=$ok path='$path' prep_max_ms=$prep load=$(cut -d' ' -f1 /proc/loadavg)"
