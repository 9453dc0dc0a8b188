#!/bin/bash
# kern19: IS phases at B/4 and C/4 (both programs IS_PHASE_TIMES=1); C/1 with transparent huge pages for the C program's
# calloc (glibc.malloc.hugetlb=1: madvise(MADV_HUGEPAGE) on its mmap'd chunks; an experiment on page walks, not a baseline change).
cd /work/wt/kern19/bench/results/kern19
../kern17/ab.sh /work/wt/kern19/bench/results/kern19/is-phases4.csv 2 "B:4 C:4" 3 c=IS_PHASE_TIMES=1@bench/native/build/is cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1@bench/IS/bin/Release/net10.0/IS
../kern17/ab.sh /work/wt/kern19/bench/results/kern19/is-c1-thp.csv 2 "C:1" 3 c=IS_PHASE_TIMES=1@bench/native/build/is c-thp=IS_PHASE_TIMES=1,GLIBC_TUNABLES=glibc.malloc.hugetlb=1@bench/native/build/is cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1@bench/IS/bin/Release/net10.0/IS
