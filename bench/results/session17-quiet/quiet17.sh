#!/usr/bin/env bash
# Session 17's quiet runs of the merged main (nothing else running): migrations with the ReadyToRun
# build and the Native AOT publish (aot17), their job-by-job alternation, across two namespace
# hosts, and IS class S against C.
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session17-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session17-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run migration-spares1-aot scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1 --aot
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1
run migration-spawn-aot scripts/bench.sh migration --ranks 8 --repeats 5 --aot
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 5
MITTEN_SPARES=0 MITTEN_STARTUP_REPORT=1 run alt-spawn scripts/dev/alternate-binaries.sh 6 $out/alt-spawn r2r bench/IS/bin/Release/net10.0/IS aot bench/IS/bin/aot/IS -- --class A --mitten --migrate 1@5
MITTEN_SPARES=1 run alt-spare scripts/dev/alternate-binaries.sh 6 $out/alt-spare r2r bench/IS/bin/Release/net10.0/IS aot bench/IS/bin/aot/IS -- --class A --mitten --migrate 1@5
run hosts2-aot scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5 --aot
run hosts2 scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
run iskernel-S9 scripts/bench.sh iskernel --classes S --ranks "1 2 4" --pairs 9
log done
