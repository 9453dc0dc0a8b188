#!/bin/bash
# ab.sh PAIRS PATTERNS SIZES: alternating jobs of the same build, --compare polled then --compare mitten
# (order swapped every pair); each job alternates plain and the variant itself. One line per job:
# each pattern's geometric mean over sizes of the ratio of minima (variant / plain) and of medians.
pairs=$1 patterns=$2 sizes=$3
cd /work/wt/msg15 && . scripts/env.sh
run() { # variant
  local out
  out=$(timeout 600 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe -n 2 bench/Mpptest/bin/Release/net10.0/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare $1 2>/dev/null | grep -E "CSV (geomean|alloc)" | awk -F, '$1=="CSV geomean" {printf "%s=%s/%s ", $2, $5, $6} $1=="CSV alloc" {printf "alloc:%s:%s=%s ", $2, $3, $5}')
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run polled; run mitten; else run mitten; run polled; fi
done
