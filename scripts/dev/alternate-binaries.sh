#!/bin/bash
# Runs the same MPI job with two IS programs in turn (e.g. the ReadyToRun build and a Native AOT
# publish), PAIRS pairs, which goes first alternating, keeping every job's whole output
# (OUTDIR/LABEL-PAIR.txt, as scripts/dev/pair-ratios.py reads them) and printing one line per job:
# the MIGRATION phases (if any), the replacement's start-up line (MITTEN_STARTUP_REPORT=1), Mop/s,
# verification and the load. RANKS (8) ranks; MITTEN_SPARES, MITTEN_TRACE and
# MITTEN_STARTUP_REPORT pass through to the ranks. MPI jobs take the lock.
#   scripts/dev/alternate-binaries.sh PAIRS OUTDIR LABEL_A BINARY_A LABEL_B BINARY_B -- IS-ARGUMENTS
set -u
[ $# -ge 6 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
pairs=$1; out=$2; la=$3; ba=$4; lb=$5; bb=$6; shift 6; [ "${1:-}" = "--" ] && shift
n=${RANKS:-8}
root="$(cd "$(dirname "$0")/../.." && pwd)"
. "$root/scripts/env.sh"
mkdir -p "$out"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    if [ $v = A ]; then l=$la; b=$ba; else l=$lb; b=$bb; fi
    f="$out/$l-$i.txt"
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$root" && flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 \
      -x MITTEN_SPARES -x MITTEN_TRACE -x MITTEN_STARTUP_REPORT -n "$n" "$b" "$@" >"$f" 2>&1)
    m=$(grep -a "MIGRATION rank=" "$f" | tr ' ' '\n' | grep -E "^(protocol_ms|spawned_ms|spare_taken_ms|restored_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    s=$(grep -ao "mitten-startup replacement.*" "$f" | head -1 | tr ' ' '\n' | grep -E "^(process_ms|mpi_init_ms)=" | tr '\n' ' ')
    mops=$(grep -ao "RESULT .* mops=[0-9.]*" "$f" | grep -o "mops=[0-9.]*" | head -1)
    v2=$(grep -ao "verified=yes" "$f" | head -1)
    echo "$l pair=$i $m$s$mops ${v2:-verified=no} load=$load"
  done
done
