#!/usr/bin/env bash
# Session 15's quiet runs of the merged main (nothing else running).
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session15-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session15-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run iskernel-small scripts/bench.sh iskernel --classes "S W" --ranks "2 4" --pairs 3
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 5
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1
run mgkernel-small scripts/bench.sh mgkernel --classes "S W" --ranks "4" --pairs 3
log done
