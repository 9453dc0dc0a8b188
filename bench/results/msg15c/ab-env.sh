#!/bin/bash
# ab-env.sh PAIRS PATTERNS SIZES DIR "ENV_A" "ENV_B": alternating Mpptest --compare mitten jobs of one build
# under two environments (A B, then B A, ...); ENV_x is "NAME=VALUE" or "-" (none). One line per job: each
# pattern's geometric mean over sizes of Mitten/plain, ratio of minima / of medians.
pairs=$1 patterns=$2 sizes=$3 dir=$4 ea=$5 eb=$6
cd /work/wt/msg15c && . scripts/env.sh
run() { # label env
  local out envs=""
  [ "$2" != "-" ] && envs="$2"
  out=$(env $envs timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 ${envs:+-x ${envs%%=*}} -n 2 $dir/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare mitten 2>/dev/null | grep "CSV geomean" | awk -F, '{printf "%s=%s/%s ", $2, $5, $6}')
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run "A[$ea]" "$ea"; run "B[$eb]" "$eb"; else run "B[$eb]" "$eb"; run "A[$ea]" "$ea"; fi
done
