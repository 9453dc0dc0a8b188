#!/bin/bash
# Needs the build of branch msg15-direct-poll (MITTEN_MPI_TEST_POLL and the "CSV poll" line exist only there); run from its worktree.
# ab4.sh ROUNDS PATTERNS SIZES: one build; each round four jobs, rotating order:
# --compare polled and --compare mitten, each with the direct poll (D) and with MITTEN_MPI_TEST_POLL=1 (T).
# Each job alternates plain and the variant inside it; one line per job: geometric mean over
# sizes of variant/plain, ratio of minima / of medians.
rounds=$1 patterns=$2 sizes=$3
cd /work/wt/msg15 && . scripts/env.sh
run() { # polled|mitten D|T
  local out
  out=$(MITTEN_MPI_TEST_POLL=$([ $2 = T ] && echo 1 || echo 0) timeout 900 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe -x MITTEN_MPI_TEST_POLL -n 2 bench/Mpptest/bin/Release/net10.0/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare $1 2>/dev/null | grep -E "CSV (geomean|poll)" | awk -F, '$1=="CSV geomean" {printf "%s=%s/%s ", $2, $5, $6} $1=="CSV poll" {printf "poll=%s ", $2}')
  echo "$1-$2 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $out"
}
variants=("polled D" "mitten D" "polled T" "mitten T")
for r in $(seq 1 $rounds); do
  for i in 0 1 2 3; do run ${variants[$(( (i + r) % 4 ))]}; done
done
