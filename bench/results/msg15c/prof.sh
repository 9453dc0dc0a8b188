#!/bin/bash
# prof.sh DIR LABEL MODE [EVENT]: one Mpptest job (nonblocking, 8 B) under perf record on both ranks;
# MODE: mitten (--mitten: the Mitten variant alone), plain (no --compare: plain alone), polled (--compare polled).
# Writes /work/tmp/msg15c/prof-LABEL.RANK.data and the job's output to prof-LABEL.out.
dir=$1 label=$2 mode=$3 event=${4:-cycles:u}
cd /work/wt/msg15c && . scripts/env.sh
case $mode in mitten) flag=--mitten ;; plain) flag= ;; polled) flag="--compare polled" ;; esac
out=/work/tmp/msg15c
timeout 600 flock /tmp/mitten-mpi-jobs.lock mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x DOTNET_PerfMapEnabled=1 -n 2 \
  sh -c "DOTNET_PerfMapEnabled=1 exec perf record -q -e $event -c ${PERIOD:-100003} -o $out/prof-$label.\$OMPI_COMM_WORLD_RANK.data $dir/Mpptest --patterns ${PATTERN:-nonblocking} --sizes ${SIZES:-8} --measurements ${MEAS:-10} --min-ms ${MINMS:-100} $flag" \
  > $out/prof-$label.out 2>$out/prof-$label.err
echo "$label done $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg)"
