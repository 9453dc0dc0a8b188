#!/bin/bash
# A/B/... alternation of kernel variants (kern15). Usage:
#   ab.sh OUT.csv PAIRS "CLASS:RANKS ..." REPEATS "name=ENV,ENV@program" ...
# Each job: mpiexec --oversubscribe -n RANKS [env ENV...] program --class CLASS --repeats REPEATS;
# records every RESULT line (pair,variant,class,ranks,rep,seconds,mops) and the load average.
# The variant order rotates by one per pair.
set -u
here=$PWD; cd "$(dirname "$0")/../../.."
. scripts/env.sh
out=$(realpath -m "$1") pairs=$2 configs=$3 repeats=$4
shift 4
variants=("$@")
n=${#variants[@]}
[ -f "$out" ] || echo "pair,variant,class,ranks,rep,seconds,mops,load1" >"$out"
for pair in $(seq 1 "$pairs"); do
  for cfg in $configs; do
    class=${cfg%%:*} ranks=${cfg##*:}
    for k in $(seq 0 $((n - 1))); do
      v=${variants[$(((k + pair) % n))]}
      name=${v%%=*} rest=${v#*=}
      envs=${rest%%@*} program=${rest#*@}
      load=$(cut -d' ' -f1 /proc/loadavg)
      flock /tmp/mitten-mpi-jobs.lock timeout 300 env ${envs//,/ } mpiexec --oversubscribe -n "$ranks" "$program" --class "$class" --repeats "$repeats" 2>/dev/null |
        grep '^RESULT impl=' | awk -v p="$pair" -v v="$name" -v l="$load" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
          printf "%s,%s,%s,%s,%s,%s,%s,%s\n", p, v, f["class"], f["ranks"], f["rep"], f["seconds"], f["mops"], l }' >>"$out"
    done
  done
done
