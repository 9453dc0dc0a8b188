#!/bin/bash
# alt-env.sh PAIRS OUTDIR [ISDIR]: one build (this branch's bench/IS/bin/Release/net10.0, or a copy of it in ISDIR), IS class A 8 ranks --migrate 1@5 without spares,
# MITTEN_SPAWN_COMMIT=connect (the port path, main's) and =bridge alternating, which goes first
# alternating; MITTEN_TRACE=1 MITTEN_STARTUP_REPORT=1 in both. One line per job; tables: pairs-env.py OUTDIR.
pairs=$1; out=$(realpath -m $2); mkdir -p $out
cd "$(dirname "$0")/../../.." && . scripts/env.sh
is=${3:-$PWD/bench/IS/bin/Release/net10.0}
export MITTEN_TRACE=1 MITTEN_STARTUP_REPORT=1
for i in $(seq 1 $pairs); do
  if [ $((i % 2)) -eq 1 ]; then order="connect bridge"; else order="bridge connect"; fi
  for v in $order; do
    f=$out/$v-$i.txt
    echo "load=$(cut -d' ' -f1 /proc/loadavg) start=$(date -u +%T)" > $f
    flock /tmp/mitten-mpi-jobs.lock bash -c "echo load_at_start=\$(cut -d' ' -f1 /proc/loadavg) >> $f; MITTEN_SPAWN_COMMIT=$v timeout 200 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x MITTEN_TRACE -x MITTEN_STARTUP_REPORT -x MITTEN_SPAWN_COMMIT -n 8 $is/IS --class A --migrate 1@5 >> $f 2>&1"
    m=$(grep -a "^MIGRATION rank=" $f | tr ' ' '\n' | grep -E "^(synchronized_ms|spawned_ms|restored_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    echo "$i $v $m $(grep -ao 'verified=yes' $f | head -1) $(grep -a load_at_start $f)"
  done
done
