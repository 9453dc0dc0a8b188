#!/usr/bin/env bash
# Rotating alternation of early-marker variants on one build (this worktree's IS), one MPI job at a time.
#   ab16.sh ROUNDS RANKS CLASS SPARES(0|1) OUT "label:ENV=V,ENV=V" ...
# Prints one line per job: round, variant, load average, the MIGRATION line (every phase), verification.
root="$(cd "$(dirname "$0")/../../.." && pwd)"; cd "$root"; . scripts/env.sh
rounds=$1; ranks=$2; class=$3; spares=$4; out=$5; shift 5
variants=("$@"); n=${#variants[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    v=${variants[$(( (k + r) % n ))]}; label=${v%%:*}; envs=${v#*:}
    e="MITTEN_SPARES=$spares ${envs//,/ }"
    load=$(cut -d' ' -f1 /proc/loadavg)
    raw=$(env $e flock /tmp/mitten-mpi-jobs.lock timeout 180 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" \
          bench/IS/bin/Release/net10.0/IS --class "$class" --migrate 1@5 2>&1)
    line=$(grep -ao 'MIGRATION rank=.*' <<<"$raw" | head -1)
    ver=$(grep -ao "verified=[a-z]*" <<<"$raw" | head -1)
    echo "round=$r v=$label ranks=$ranks class=$class spares=$spares load=$load $ver $line" | tee -a "$out"
  done
done
