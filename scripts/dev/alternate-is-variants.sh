#!/bin/bash
# Runs the same NAS IS job from two built trees in turn (PAIRS pairs, which goes first alternates),
# keeping every job's whole output (OUTDIR/LABEL-PAIR.txt) and printing one line per job with the
# MIGRATION phases, verification and load. RANKS (8) ranks; MITTEN_STARTUP_REPORT and MITTEN_SPARES
# pass through to the ranks. Each DIR holds bench/IS/bin/Release/net10.0/IS. MPI jobs take the lock.
#   scripts/dev/alternate-is-variants.sh PAIRS OUTDIR LABEL_A DIR_A LABEL_B DIR_B -- IS-ARGUMENTS
pairs=$1; out=$2; la=$3; A=$4; lb=$5; B=$6; shift 6; [ "$1" = "--" ] && shift
n=${RANKS:-8}
. "$(cd "$(dirname "$0")/../.." && pwd)/scripts/env.sh"
mkdir -p "$out"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="$la:$A $lb:$B"; else order="$lb:$B $la:$A"; fi
  for v in $order; do
    l=${v%%:*}; d=${v#*:}
    f="$out/$l-$i.txt"
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$d" && flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x MITTEN_STARTUP_REPORT -x MITTEN_SPARES -n $n \
      bench/IS/bin/Release/net10.0/IS "$@" >"$f" 2>&1)
    m=$(grep -a "MIGRATION rank=" "$f" | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|spawned_ms|spare_taken_ms|restored_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" "$f" | head -1)
    echo "$l pair=$i $m ${v2:-verified=no} load=$load"
  done
done
