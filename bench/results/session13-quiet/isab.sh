#!/usr/bin/env bash
# Alternates C IS, C# IS with the JIT settle wait and without, per round (order rotated);
# per job the median of 3 runs' Mop/s. Usage: isab.sh CLASS RANKS ROUNDS
cd /work/main; . scripts/env.sh
class=$1 ranks=$2 rounds=$3
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
job() { # variant -> median mops
  case $1 in
    c) prog=bench/native/build/is; envs="X=1";;
    settle) prog=bench/IS/bin/Release/net10.0/IS; envs="IS_JIT_SETTLE_MS=250";;
    nosettle) prog=bench/IS/bin/Release/net10.0/IS; envs="IS_JIT_SETTLE_MS=0";;
  esac
  env $envs flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe -n $ranks $prog --class $class --repeats 3 2>/dev/null | grep '^RESULT impl=' | grep -o 'mops=[0-9.]*' | cut -d= -f2 | med
}
for r in $(seq 1 $rounds); do
  case $((r % 3)) in 1) order="c settle nosettle";; 2) order="settle nosettle c";; 0) order="nosettle c settle";; esac
  declare -A m
  for v in $order; do m[$v]=$(job $v); done
  echo "round $r load $(cut -d' ' -f1 /proc/loadavg) c=${m[c]} settle=${m[settle]} nosettle=${m[nosettle]} settle/c=$(awk -v a=${m[settle]} -v b=${m[c]} 'BEGIN{printf "%.3f", a/b}') nosettle/c=$(awk -v a=${m[nosettle]} -v b=${m[c]} 'BEGIN{printf "%.3f", a/b}')"
done
