#!/usr/bin/env bash
# Session 18's quiet runs of the merged main (nothing else running, after the fresh-clone CI):
# migrations with the ReadyToRun build (and the Native AOT publish for comparison) at 8 and 16
# ranks and across two namespace hosts, the IS and MG kernels against C, then the overhead benchmark.
. /work/main/scripts/dev/quiet-run.sh bench/results/session18-quiet
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 7 --spares 1
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 7
run ranks16 scripts/bench.sh migration --ranks 16 --class S --repeats 5 --spares "0 1"
run migration-spares1-aot scripts/bench.sh migration --ranks 8 --repeats 5 --spares 1 --aot
run migration-spawn-aot scripts/bench.sh migration --ranks 8 --repeats 5 --aot
run ranks16-aot scripts/bench.sh migration --ranks 16 --class S --repeats 3 --spares "0 1" --aot
run hosts2 scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
run iskernel scripts/bench.sh iskernel --classes "S W" --ranks "1 2 4" --pairs 9
run mgkernel scripts/bench.sh mgkernel --classes S
run overhead scripts/bench.sh overhead
log done
