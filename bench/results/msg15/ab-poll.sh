#!/bin/bash
# Needs the build of branch msg15-direct-poll (MITTEN_MPI_TEST_POLL and the "CSV poll" line exist only there); run from its worktree.
# ab-poll.sh PAIRS PATTERNS SIZES: one build, alternating jobs with the direct completion poll (D,
# default) and with MITTEN_MPI_TEST_POLL=1 (T: MPI_Test per poll, as main), order swapped every
# pair; each job is --compare mitten (plain and Mitten alternating inside it). One line per job:
# each pattern's geometric mean over sizes of Mitten/plain, ratio of minima / of medians.
pairs=$1 patterns=$2 sizes=$3
cd /work/wt/msg15 && . scripts/env.sh
run() { # D|T
  local out
  out=$(MITTEN_MPI_TEST_POLL=$([ $1 = T ] && echo 1 || echo 0) timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe -x MITTEN_MPI_TEST_POLL -n 2 bench/Mpptest/bin/Release/net10.0/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare mitten 2>/dev/null | grep -E "CSV (geomean|poll)" | awk -F, '$1=="CSV geomean" {printf "%s=%s/%s ", $2, $5, $6} $1=="CSV poll" {printf "poll=%s ", $2}')
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run D; run T; else run T; run D; fi
done
