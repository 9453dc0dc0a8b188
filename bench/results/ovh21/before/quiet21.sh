#!/bin/bash
# Session 21's quiet run: the overhead benchmark on main with the adapter fix (issue 15), then the migration figures.
. scripts/dev/quiet-run.sh bench/results/session21-quiet
run overhead scripts/bench.sh overhead
run overhead-b scripts/bench.sh overhead
run migration scripts/bench.sh migration --ranks 8 --repeats 9
run migration-spare scripts/bench.sh migration --ranks 8 --repeats 7 --spares 1
log done
