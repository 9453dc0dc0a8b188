#!/bin/bash
# ab3.sh ROUNDS PATTERNS SIZES DIR1 DIR2 DIR3: each round one Mpptest --compare mitten job per build, order rotating;
# one line per job: each pattern's geometric mean over sizes of Mitten/plain, ratio of minima / of medians.
rounds=$1 patterns=$2 sizes=$3; shift 3; dirs=("$@")
cd /work/wt/msg15c && . scripts/env.sh
run() { # dir
  local out
  out=$(timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 2 $1/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare mitten 2>/dev/null | grep "CSV geomean" | awk -F, '{printf "%s=%s/%s ", $2, $5, $6}')
  echo "$(basename $1) $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
n=${#dirs[@]}
for r in $(seq 1 $rounds); do
  for i in $(seq 0 $((n-1))); do run ${dirs[$(( (i + r) % n ))]}; done
done
