#!/usr/bin/env bash
# Session 16's quiet runs of the merged main (nothing else running).
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session16-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session16-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 5
run iskernel-S7 scripts/bench.sh iskernel --classes S --ranks "2 4" --pairs 7
run mgkernel-small scripts/bench.sh mgkernel --classes "S W" --ranks "4" --pairs 3
run overhead scripts/bench.sh overhead
MITTEN_SPARES=1 run early8 scripts/dev/alternate-env.sh 6 $out/early8 off "MITTEN_EARLY_MARKERS=0" on "MITTEN_EARLY_MARKERS=1" -- --class A --migrate 1@5
RANKS=16 MITTEN_SPARES=1 run early16 scripts/dev/alternate-env.sh 6 $out/early16 off "MITTEN_EARLY_MARKERS=0" on "MITTEN_EARLY_MARKERS=1" -- --class S --migrate 1@5
log done
