#!/bin/bash
# ab-dirs.sh PAIRS PATTERNS SIZES A_DIR B_DIR: alternating jobs of two Mpptest builds (A B, then B A, ...),
# each --compare mitten; one line per job: each pattern's geomean over sizes of Mitten/plain, minima / medians.
pairs=$1 patterns=$2 sizes=$3 A=$4 B=$5
cd /work/wt/msg15 && . scripts/env.sh
run() { # label dir
  local out
  out=$(timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe -n 2 $2/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare mitten 2>/dev/null | grep "CSV geomean" | awk -F, '{printf "%s=%s/%s ", $2, $5, $6}')
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run A $A; run B $B; else run B $B; run A $A; fi
done
