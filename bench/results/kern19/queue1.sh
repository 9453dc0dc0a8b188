#!/bin/bash
# kern19: MG W and A against C, then IS phases (IS_PHASE_TIMES=1 in both programs) at C/1, B/2, A/2, A/4.
cd /work/wt/kern19/bench/results/kern19
../kern17/ab.sh /work/wt/kern19/bench/results/kern19/mg-wa.csv 4 "W:1 W:2 W:4 A:1 A:2 A:4" 3 c=X=1@bench/native/build/mg cs=DOTNET_TieredCompilation=0@bench/MG/bin/Release/net10.0/MG
../kern17/ab.sh /work/wt/kern19/bench/results/kern19/is-phases.csv 3 "C:1 B:2 A:2 A:4" 3 c=IS_PHASE_TIMES=1@bench/native/build/is cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1@bench/IS/bin/Release/net10.0/IS
