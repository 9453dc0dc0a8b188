#!/usr/bin/env bash
# One traced IS migration (rank 1 at iteration 5), full output to OUT.  trace1.sh RANKS CLASS SPARES OUT "ENV=V ENV=V"
out0=$4; root="$(cd "$(dirname "$0")/../../.." && pwd)"; cd "$root"; . scripts/env.sh
ranks=$1; class=$2; spares=$3; out=$(realpath -m "$4"); envs=$5
env MITTEN_SPARES=$spares MITTEN_TRACE=1 $envs flock /tmp/mitten-mpi-jobs.lock timeout 180 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" \
    bench/IS/bin/Release/net10.0/IS --class "$class" --migrate 1@5 > "$out" 2>&1
grep -ao 'MIGRATION rank=.*' "$out" | head -1
