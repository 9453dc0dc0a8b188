#!/usr/bin/env bash
# usage: mpp.sh BUILD_DIR TAG JOBS COMPARE PATTERNS SIZES [extra]
cd /work/wt/perf15 && . scripts/env.sh
dir=$1 tag=$2 jobs=$3 cmp=$4 pat=$5 sizes=$6; shift 6
for j in $(seq 1 $jobs); do
  flock /tmp/mitten-mpi-jobs.lock timeout 600 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 2 $dir/Mpptest --patterns $pat --sizes $sizes --compare $cmp "$@" 2>/dev/null \
    | grep '^CSV ratio' | awk -F, -v t=$tag -v j=$j -v l="$(cut -d' ' -f1 /proc/loadavg)" '{print t","j","$3","$2","$5","$6","$7","l}'
done
