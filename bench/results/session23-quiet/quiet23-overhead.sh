#!/usr/bin/env bash
# Session 23: the overhead benchmark twice (2 x 3 repetitions) on af9a688 (the collectives change of kern23), for issue 15.
cd /work/main
. scripts/dev/quiet-run.sh bench/results/session23-quiet
run overhead scripts/bench.sh overhead
run overhead2 scripts/bench.sh overhead
log done
