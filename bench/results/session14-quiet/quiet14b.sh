#!/usr/bin/env bash
cd /work/main; . scripts/env.sh
out=bench/results/session14-quiet-final; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 5
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1
run overhead scripts/bench.sh overhead
log done
