#!/usr/bin/env bash
# Session 22: the overhead benchmark once more (3 repetitions) on the final code (6b929dd), for issue 15's per-message goals.
. /work/wc22/scripts/dev/quiet-run.sh bench/results/session22-quiet
run overhead scripts/bench.sh overhead
log done
