#!/usr/bin/env bash
# Session 18's third quiet block: the spawn path at 8 ranks again, 9 runs, started at a low load
# (quiet18c's ran right after the 16-rank sweep, at load 10-11).
. /work/main/scripts/dev/quiet-run.sh bench/results/session18-quiet
run migration-spawn-d scripts/bench.sh migration --ranks 8 --repeats 9
log done-d
