#!/bin/bash
# kern21: IS C/4 against C with phase times (IS_PHASE_TIMES=1), 4 alternating pairs (kern17's ab.sh), to see which phase
# makes a C# job slower when it is.
cd "$(dirname "$0")/../../.."
bench/results/kern17/ab.sh "$PWD/bench/results/kern21/c4-phases.csv" 4 "C:4" 3 \
  c=IS_PHASE_TIMES=1@bench/native/build/is cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1@bench/IS/bin/Release/net10.0/IS
