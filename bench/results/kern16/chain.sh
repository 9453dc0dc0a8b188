#!/bin/bash
cd /work/wt/kern16
R=bench/results/kern16
echo "start $(date -u +%T) $(cat /proc/loadavg)"
bench/results/kern15/ab.sh $R/mg-wait.csv 3 "S:4 W:4" 3 c=X=1@bench/native/build/mg cs=DOTNET_TieredCompilation=0@bench/MG/bin/Release/net10.0/MG cs-each=DOTNET_TieredCompilation=0,MG_HALO_WAIT=each@bench/MG/bin/Release/net10.0/MG
bench/results/kern15/summary.sh $R/mg-wait.csv c > $R/mg-wait-summary.txt
echo "mg ab done $(date -u +%T) $(cat /proc/loadavg)"
MITTEN_BENCH_RESULTS=/tmp/kern16-iskernel-s scripts/bench.sh iskernel --classes S --ranks "2 4" --pairs 7 > $R/iskernel-s.out 2> $R/iskernel-s.err
echo "iskernel S done $(date -u +%T) $(cat /proc/loadavg)"
MITTEN_BENCH_RESULTS=/tmp/kern16-iskernel-wa scripts/bench.sh iskernel --classes "W A" --ranks "2 4" --pairs 3 > $R/iskernel-wa.out 2> $R/iskernel-wa.err
echo "iskernel WA done $(date -u +%T) $(cat /proc/loadavg)"
MITTEN_BENCH_RESULTS=/tmp/kern16-mgkernel scripts/bench.sh mgkernel --classes "S W" --ranks "4" --pairs 3 > $R/mgkernel.out 2> $R/mgkernel.err
echo "mgkernel done $(date -u +%T) $(cat /proc/loadavg)"
