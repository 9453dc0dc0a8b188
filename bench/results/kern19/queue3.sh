#!/bin/bash
# kern19: more pairs at the two configurations whose pooled median was below 1 (B/2, C/1), then the kernels bench once (JIT listing).
cd /work/wt/kern19/bench/results/kern19
../kern17/ab.sh /work/wt/kern19/bench/results/kern19/is-b2c1.csv 3 "B:2 C:1" 3 c=X=1@bench/native/build/is cs=DOTNET_TieredCompilation=0@bench/IS/bin/Release/net10.0/IS
cd /work/wt/kern19 && MITTEN_BENCH_RESULTS=/work/wt/kern19/bench/results/kern19/benchsh-a scripts/bench.sh iskernel --classes A --ranks "1 2" --pairs 1 --repeats 3 > /work/wt/kern19/bench/results/kern19/benchsh-a.out 2> /work/wt/kern19/bench/results/kern19/benchsh-a.err
