#!/bin/bash
# Three settings of MITTEN_LEAN_COMMIT (0 = old, 1 = lean, 2 = lean + old window freed late), job by
# job, the order rotating each round (as scripts/dev/alternate-env.sh does for two).
#   alt3.sh ROUNDS OUTDIR IS_BINARY
rounds=$1; out=$2; bin=$3
root="$(cd "$(dirname "$0")/../../.." && pwd)"
. "$root/scripts/env.sh"
mkdir -p "$out"
labels=(old lean lean2); modes=(0 1 2)
for i in $(seq 1 "$rounds"); do
  for k in 0 1 2; do
    v=$(( (i + k) % 3 )); l=${labels[$v]}; m=${modes[$v]}
    f="$out/$l-$i.txt"; load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$root" && env MITTEN_LEAN_COMMIT=$m flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 \
      -x MITTEN_LEAN_COMMIT ${MITTEN_TRACE:+-x MITTEN_TRACE} -n 8 "$bin" --class A --migrate 1@5 >"$f" 2>&1)
    mm=$(grep -a "MIGRATION rank=" "$f" | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|spawned_ms|restored_ms|committed_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" "$f" | head -1)
    echo "$l round=$i $mm ${v2:-verified=no} load=$load"
  done
done
