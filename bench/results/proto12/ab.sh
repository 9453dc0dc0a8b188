#!/bin/bash
# ab.sh PAIRS NRANKS CLASS SPARES [TRACE]: alternates base (/tmp/proto12-base/IS) and branch IS builds
pairs=$1; n=$2; cls=$3; spares=$4; trace=${5:-0}
. /work/wt/proto12/scripts/env.sh
A=/tmp/proto12-base/IS; B=/tmp/proto12-v1/IS
for i in $(seq 1 $pairs); do
  if [ $((i % 2)) -eq 1 ]; then order="base branch"; else order="branch base"; fi
  for v in $order; do
    if [ $v = base ]; then d=$A; else d=$B; fi
    f=/tmp/p12/run-$n$cls-s$spares-$v-$i-$(date +%H%M%S)
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd /work/wt/proto12 && flock /tmp/mitten-mpi-jobs.lock env MITTEN_SPARES=$spares MITTEN_TRACE=$trace timeout 240 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n $n $d/IS --class $cls --migrate 1@5 >$f.out 2>$f.err)
    m=$(grep -a "MIGRATION rank=" $f.out | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" $f.out | head -1)
    steps=""
    if [ "$trace" = 1 ]; then
      steps=$(grep -a "protocol step" $f.err | grep -a " r1 " | grep -E "'(freeze and MIG_CMD|decision, wake-ups and MIG_END|drain)' took" | head -3 | sed -E "s/.*'(.*)' took ([0-9.]+) ms/\1=\2/" | sed 's/freeze and MIG_CMD/freeze/; s/decision, wake-ups and MIG_END/decide/' | tr '\n' ' ')
    fi
    echo "$(date +%H:%M:%S) $v n=$n class=$cls spares=$spares $m ${v2:-verified=no} load=$load $steps"
  done
done
