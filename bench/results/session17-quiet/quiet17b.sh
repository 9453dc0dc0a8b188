#!/usr/bin/env bash
# Session 17's second quiet block (after the fresh-clone CI): 16 ranks with the Native AOT publish
# and the ReadyToRun build, then the overhead benchmark on the merged main.
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session17-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session17-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run ranks16-aot scripts/bench.sh migration --ranks 16 --class S --repeats 3 --spares "0 1" --aot
run ranks16 scripts/bench.sh migration --ranks 16 --class S --repeats 3 --spares "0 1"
run overhead scripts/bench.sh overhead
log done-b
