#!/bin/bash
# kern17 (copied unchanged by kern19): A/B/... alternation of kernel variants (kern15's ab.sh, keeping every job's output).
#   ab.sh OUT.csv PAIRS "CLASS:RANKS ..." REPEATS "name=ENV,ENV@program" ...
# Each pair and config runs its variants' jobs back to back under one hold of the MPI job lock (4 helpers
# contend for it; per-job locking left minutes between the variants of a pair). Each job: timeout + mpiexec --oversubscribe -n RANKS env ENV... program --class CLASS --repeats REPEATS;
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
    load=$(cut -d' ' -f1 /proc/loadavg)
    order=()
    for k in $(seq 0 $((n - 1))); do order+=("${variants[$(((k + pair) % n))]}"); done
    flock /tmp/mitten-mpi-jobs.lock bash -c '
      out=$1 pair=$2 class=$3 ranks=$4 repeats=$5; shift 5
      for v in "$@"; do
        name=${v%%=*} rest=${v#*=}; envs=${rest%%@*} program=${rest#*@}
        log=$out.d/$pair-$name-$class-$ranks.txt
        echo "load1=$(cut -d" " -f1 /proc/loadavg)" >"$log"
        timeout 300 mpiexec --oversubscribe -n "$ranks" env ${envs//,/ } "$program" --class "$class" --repeats "$repeats" >>"$log" 2>&1
      done' _ "$out" "$pair" "$class" "$ranks" "$repeats" "${order[@]}"
    for v in "${order[@]}"; do
      name=${v%%=*}
      log=$out.d/$pair-$name-$class-$ranks.txt
      l=$(sed -n 's/^load1=//p' "$log")
      grep '^RESULT impl=' "$log" | awk -v p="$pair" -v v="$name" -v l="$l" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
          printf "%s,%s,%s,%s,%s,%s,%s,%s\n", p, v, f["class"], f["ranks"], f["rep"], f["seconds"], f["mops"], l }' >>"$out"
    done
  done
done
