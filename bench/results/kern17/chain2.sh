#!/bin/bash
# kern17: Native AOT published with -p:IlcInstructionSet=native (as the C baselines' -march=native) against C and the JIT.
cd "$(dirname "$0")/../../.."
r=bench/results/kern17 o=/work/wt/kern17-out
date -u
$r/ab.sh $r/mg-s2-aotnative.csv 7 "S:2" 3 c=X=1@$o/native/mg cs=DOTNET_TieredCompilation=0@$o/MG-jit/MG aot-native=X=1@$o/MG-aot-native/MG
date -u
$r/ab.sh $r/is-s-aotnative.csv 7 "S:2 S:4" 3 c=X=1@$o/native/is cs=DOTNET_TieredCompilation=0@$o/IS-jit/IS aot-native=X=1@$o/IS-aot-native/IS cs-jitonly=DOTNET_TieredCompilation=0,DOTNET_ReadyToRun=0@$o/IS-jit/IS
date -u
