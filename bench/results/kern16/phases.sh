#!/bin/bash
# Per-phase times of IS, C and C# alternating: phases.sh OUT ROUNDS CLASS RANKS REPEATS [extra C# env words]
# Writes OUT (PHASES and RESULT lines, each prefixed with the round and load average).
out=$1 rounds=$2 class=$3 ranks=$4 repeats=$5; shift 5
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cs_env=(DOTNET_TieredCompilation=0 "$@")
for r in $(seq 1 "$rounds"); do
  order="c cs"; [ $((r % 2)) -eq 0 ] && order="cs c"
  for impl in $order; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ $impl = c ]; then prog=(bench/native/build/is); else prog=(env "${cs_env[@]}" bench/IS/bin/Release/net10.0/IS); fi
    flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe -n "$ranks" env IS_PHASE_TIMES=1 "${prog[@]}" --class "$class" --repeats "$repeats" 2>&1 \
      | grep -E '^(PHASES|RESULT impl)' | sed "s/^/round=$r load=$load /" >>"$out"
  done
done
