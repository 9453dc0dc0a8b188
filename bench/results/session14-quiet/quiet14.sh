#!/usr/bin/env bash
# Session 14's quiet benchmarks on the merged main; output in bench/results/session14-quiet/.
cd /work/main; . scripts/env.sh
out=bench/results/session14-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 5
run migration-16 scripts/bench.sh migration --ranks 16 --class S --repeats 3 --spares "0 1"
run migration-xhost scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
run iskernel-A4 scripts/bench.sh iskernel --classes A --ranks 4 --pairs 5
run iskernel-W12 scripts/bench.sh iskernel --classes W --ranks "1 2" --pairs 3
log "start isab A4"; /work/tmp/isab.sh A 4 5 > $out/isab-A4.txt 2>&1; log "end isab"
run overhead scripts/bench.sh overhead
log done
