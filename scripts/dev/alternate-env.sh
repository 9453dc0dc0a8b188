#!/bin/bash
# Runs the same NAS IS migration job with two environment settings in turn (PAIRS pairs, which goes
# first alternates), keeping every job's whole output (OUTDIR/LABEL-PAIR.txt) and printing one line
# per job with the MIGRATION phases, verification and load. RANKS (8) ranks; every variable named in
# an ENV list (and MITTEN_SPARES, MITTEN_TRACE) passes through to the ranks. MPI jobs take the lock.
#   scripts/dev/alternate-env.sh PAIRS OUTDIR LABEL_A "K=V ..." LABEL_B "K=V ..." -- IS-ARGUMENTS
pairs=$1; out=$2; la=$3; ea=$4; lb=$5; eb=$6; shift 6; [ "$1" = "--" ] && shift
n=${RANKS:-8}  # IS_BINARY: the IS program to run (default: the Release build)
root="$(cd "$(dirname "$0")/../.." && pwd)"
. "$root/scripts/env.sh"
mkdir -p "$out"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    if [ $v = A ]; then l=$la; e=$ea; else l=$lb; e=$eb; fi
    x=""; for kv in $e; do x="$x -x ${kv%%=*}"; done
    f="$out/$l-$i.txt"
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$root" && env $e flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 \
      -x MITTEN_SPARES -x MITTEN_TRACE $x -n $n ${IS_BINARY:-bench/IS/bin/Release/net10.0/IS} "$@" >"$f" 2>&1)
    m=$(grep -a "MIGRATION rank=" "$f" | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|spawned_ms|spare_taken_ms|restored_ms|committed_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" "$f" | head -1)
    echo "$l pair=$i $m ${v2:-verified=no} load=$load"
  done
done
