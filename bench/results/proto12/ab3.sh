#!/bin/bash
# ab3.sh ROUNDS NRANKS CLASS SPARES: rotates base, v1 (one exchange), v2 (one exchange + sleeping non-leader drain waits)
rounds=$1; n=$2; cls=$3; spares=$4
. /work/wt/proto12/scripts/env.sh
declare -A dir=([base]=/tmp/proto12-base/IS [v1]=/tmp/proto12-v1/IS [v2]=/tmp/proto12-v2-IS)
orders=("base v1 v2" "v1 v2 base" "v2 base v1")
for i in $(seq 1 $rounds); do
  for v in ${orders[$(( (i-1) % 3 ))]}; do
    d=${dir[$v]}
    f=/tmp/p12/r3-$n$cls-s$spares-$v-$i-$(date +%H%M%S)
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd /work/wt/proto12 && flock /tmp/mitten-mpi-jobs.lock env MITTEN_SPARES=$spares timeout 240 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n $n $d/IS --class $cls --migrate 1@5 >$f.out 2>$f.err)
    m=$(grep -a "MIGRATION rank=" $f.out | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" $f.out | head -1)
    echo "$(date +%H:%M:%S) round=$i $v n=$n class=$cls spares=$spares $m ${v2:-verified=no} load=$load"
  done
done
