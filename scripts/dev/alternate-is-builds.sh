#!/bin/bash
# Runs the same migration job (NAS IS class A on 8 ranks, rank 1 moving at iteration 5) from two
# built checkouts in turn, PAIRS times (which goes first alternates), and prints per run the
# MIGRATION line's phases: for comparing two builds on a shared machine in one sitting.
#   scripts/dev/alternate-is-builds.sh PAIRS DIR_A DIR_B [more IS arguments]
# Each DIR must hold a Release build (dotnet build Mitten.sln -c Release). MPI jobs take
# flock /tmp/mitten-mpi-jobs.lock.
set -u
[ $# -ge 3 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
pairs=$1; A=$2; B=$3; shift 3
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/env.sh"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="$A $B"; else order="$B $A"; fi
  for d in $order; do
    out=$(cd "$d" && flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 8 \
      bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 "$@" 2>/dev/null)
    m=$(echo "$out" | grep -a "MIGRATION rank=" | tr ' ' '\n' | grep -E "^(protocol_ms|synchronized_ms|spawned_ms|spare_taken_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v=$(echo "$out" | grep -ao "verified=yes" | head -1)
    echo "$(basename "$d") ${m:-no-migration-line} ${v:-verified=no} load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done
