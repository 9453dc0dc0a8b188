#!/usr/bin/env bash
# Rotating alternation of variants (markers16's ab16.sh, with a build per variant), one MPI job at a time.
#   ab.sh ROUNDS RANKS CLASS SPARES(0|1) OUT "label:DIR:ENV=V,ENV=V" ...
# DIR holds the IS build of that variant (a copy of bench/IS/bin/Release/net10.0). One line per job:
# round, variant, load average, verification, the MIGRATION line (every phase).
root="$(cd "$(dirname "$0")/../../.." && pwd)"; cd "$root"; . scripts/env.sh
rounds=$1; ranks=$2; class=$3; spares=$4; out=$5; shift 5
variants=("$@"); n=${#variants[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    v=${variants[$(( (k + r) % n ))]}; label=${v%%:*}; rest=${v#*:}; dir=${rest%%:*}; envs=${rest#*:}
    e="MITTEN_SPARES=$spares ${envs//,/ }"
    load=$(cut -d' ' -f1 /proc/loadavg)
    raw=$(env $e flock /tmp/mitten-mpi-jobs.lock timeout 180 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" \
          "$dir/IS" --class "$class" --migrate 1@5 2>&1)
    line=$(grep -ao 'MIGRATION rank=.*' <<<"$raw" | head -1)
    ver=$(grep -ao "verified=[a-z]*" <<<"$raw" | head -1)
    echo "round=$r v=$label ranks=$ranks class=$class spares=$spares load=$load $ver $line" | tee -a "$out"
  done
done
