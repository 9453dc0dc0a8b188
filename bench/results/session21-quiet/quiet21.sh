#!/usr/bin/env bash
# Session 21's quiet run of main 3219453 (nothing else running): the overhead benchmark twice with
# the per-block IS/MG figure (ovh21), the migration without and with a spare at 8 ranks, IS A/B/C
# and MG S/W/A against the C baselines.
. /work/main/scripts/dev/quiet-run.sh bench/results/session21-quiet
run overhead scripts/bench.sh overhead
run overhead-b scripts/bench.sh overhead
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 9
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 7 --spares 1
run iskernel scripts/bench.sh iskernel --classes "A B C" --ranks "1 2 4" --pairs 3
run mgkernel scripts/bench.sh mgkernel --classes "S W A" --ranks "1 2 4" --pairs 3
log done
