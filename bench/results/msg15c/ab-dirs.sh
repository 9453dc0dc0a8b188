#!/bin/bash
# ab-dirs.sh PAIRS PATTERNS SIZES A_DIR B_DIR [COMPARE]: alternating Mpptest jobs of two builds (A B, then B A, ...),
# each --compare mitten (or COMPARE); one line per job: each pattern's geometric mean over sizes of
# variant/plain, ratio of minima / ratio of medians (same job), and the load average.
pairs=$1 patterns=$2 sizes=$3 A=$4 B=$5 cmp=${6:-mitten}
cd /work/wt/msg15c && . scripts/env.sh
run() { # label dir
  local out
  out=$(timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 2 $2/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare $cmp 2>/dev/null | grep "CSV geomean" | awk -F, '{printf "%s=%s/%s ", $2, $5, $6}')
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run A $A; run B $B; else run B $B; run A $A; fi
done
