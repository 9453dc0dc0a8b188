#!/usr/bin/env bash
# Session 18's third quiet block: the spawn path at 8 ranks again, 9 runs, started at a low load
# (quiet18c's ran right after the 16-rank sweep, at load 10-11).
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session18-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session18-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run migration-spawn-d scripts/bench.sh migration --ranks 8 --repeats 9
log done-d
