#!/bin/bash
# kern17: A/B/... alternation of kernel variants (kern15's ab.sh, keeping every job's output).
#   ab.sh OUT.csv PAIRS "CLASS:RANKS ..." REPEATS "name=ENV,ENV@program" ...
# Each job: flock + timeout + mpiexec --oversubscribe -n RANKS env ENV... program --class CLASS --repeats REPEATS;
# CSV row per RESULT line (pair,variant,class,ranks,rep,seconds,mops,load1); the job's stdout+stderr in
# OUT.d/PAIR-VARIANT-CLASS-RANKS.txt. The variant order rotates by one per pair.
set -u
cd "$(dirname "$0")/../../.."
. scripts/env.sh
out=$(realpath -m "$1") pairs=$2 configs=$3 repeats=$4
shift 4
variants=("$@")
n=${#variants[@]}
mkdir -p "$out.d"
[ -f "$out" ] || echo "pair,variant,class,ranks,rep,seconds,mops,load1" >"$out"
for pair in $(seq 1 "$pairs"); do
  for cfg in $configs; do
    class=${cfg%%:*} ranks=${cfg##*:}
    for k in $(seq 0 $((n - 1))); do
      v=${variants[$(((k + pair) % n))]}
      name=${v%%=*} rest=${v#*=}
      envs=${rest%%@*} program=${rest#*@}
      log=$out.d/$pair-$name-$class-$ranks.txt
      load=$(cut -d' ' -f1 /proc/loadavg)
      flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe -n "$ranks" env ${envs//,/ } "$program" --class "$class" --repeats "$repeats" >"$log" 2>&1
      grep '^RESULT impl=' "$log" | awk -v p="$pair" -v v="$name" -v l="$load" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
          printf "%s,%s,%s,%s,%s,%s,%s,%s\n", p, v, f["class"], f["ranks"], f["rep"], f["seconds"], f["mops"], l }' >>"$out"
    done
  done
done
