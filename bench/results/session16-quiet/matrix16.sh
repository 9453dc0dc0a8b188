#!/usr/bin/env bash
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session16-quiet/side-matrix; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session16-quiet
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
run iskernel-matrix scripts/bench.sh iskernel --classes "S W A B" --ranks "1 2 4" --pairs 5
run mgkernel-matrix scripts/bench.sh mgkernel --classes "S W A" --ranks "1 2 4" --pairs 5
log done-matrix
