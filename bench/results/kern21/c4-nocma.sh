#!/bin/bash
# kern21: IS C/4 against C with Open MPI's shared-memory single-copy (CMA) turned off for both programs
# (btl_vader_single_copy_mechanism=none: large messages through shared-memory fragments), 4 alternating pairs.
cd "$(dirname "$0")/../../.."
bench/results/kern17/ab.sh "$PWD/bench/results/kern21/c4-nocma.csv" 4 "C:4" 3 \
  c=IS_PHASE_TIMES=1,OMPI_MCA_btl_vader_single_copy_mechanism=none@bench/native/build/is \
  cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1,OMPI_MCA_btl_vader_single_copy_mechanism=none@bench/IS/bin/Release/net10.0/IS
