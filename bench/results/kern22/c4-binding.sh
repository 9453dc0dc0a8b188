#!/bin/bash
# C/4 noise with and without binding two ranks per core
cd /work/main && . scripts/env.sh
OUT=/work/tmp/bind22
C=bench/native/build/is; CS=bench/IS/bin/Release/net10.0/IS
for pair in 1 2 3 4 5; do
  for mode in free bound; do
    if [ $mode = bound ]; then flags="--map-by core:OVERSUBSCRIBE --bind-to core:overload-allowed"; else flags="--oversubscribe"; fi
    order="c cs"; [ $((pair % 2)) = 0 ] && order="cs c"
    for v in $order; do
      if [ $v = c ]; then prog="$C"; envs=""; else prog="$CS"; envs="DOTNET_TieredCompilation=0"; fi
      flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec $flags -n 4 env $envs $prog --class C --repeats 3 > $OUT/$pair-$mode-$v.txt 2>&1
      echo "$pair $mode $v $(grep '^RESULT impl=' $OUT/$pair-$mode-$v.txt | sed 's/.*mops=\([0-9.]*\) .*/\1/' | tr '\n' ' ')"
    done
  done
done
