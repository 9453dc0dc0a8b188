#!/bin/bash
# kern17: the MG class S alternation, then IS and MG at W and A (C, C# JIT with tiering off, C# Native AOT).
cd "$(dirname "$0")/../../.."
r=bench/results/kern17 o=/work/wt/kern17-out
date -u
$r/ab.sh $r/mg-s-variants.csv 7 "S:2 S:4" 3 c=X=1@$o/native/mg cs=DOTNET_TieredCompilation=0@$o/MG-jit/MG aot=X=1@$o/MG-aot/MG cs-jitonly=DOTNET_TieredCompilation=0,DOTNET_ReadyToRun=0@$o/MG-jit/MG
date -u
$r/ab.sh $r/is-wa-variants.csv 3 "W:2 W:4 A:2 A:4" 3 c=X=1@$o/native/is cs=DOTNET_TieredCompilation=0@$o/IS-jit/IS aot=X=1@$o/IS-aot/IS
date -u
$r/ab.sh $r/mg-wa-variants.csv 3 "W:4 A:4" 3 c=X=1@$o/native/mg cs=DOTNET_TieredCompilation=0@$o/MG-jit/MG aot=X=1@$o/MG-aot/MG
date -u
