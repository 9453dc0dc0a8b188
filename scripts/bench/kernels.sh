# Sourced by scripts/bench.sh (its helpers, globals and the checkout root as working directory);
# the C baselines against the C# kernels (iskernel, mgkernel).

# ---------------------------------------------------------------------------------------------
# A C baseline against the C# port, shared by iskernel and mgkernel. Both programs take
# --class X --repeats R and print per repetition "RESULT impl=c|csharp rep=R class= ranks= seconds=
# mops= verified= FIELD=..." where FIELD (IS: key_rank_checksum, MG: rnm2) must be the same in both.

# What the JIT makes of the hot loops (a regression shows here): one run of class S with the
# listings of the kernels; per method its code size, memory operands on the stack frame
# ([rbp-..]/[rsp+..]: spills and reloads), unconditional jumps, and range-check failures.
# RANKS (default 1): the run's process count; with more than one, only rank 0 writes the listing
# (the others are a second program of the same mpiexec, without the listing settings)
# (MG's halo exchange, CopyPlane, runs only where a process grid axis is split: 2 ranks).
#   kernel_jit_listing NAME PROGRAM "METHODS" [RANKS]   (writes NAME-jit.txt and NAME-jit.csv; METHODS: DOTNET_JitDisasm names)
kernel_jit_listing() {
  local name=$1 program=$2 methods=$3 ranks=${4:-1}
  local jit=$RESULTS/$name-jit.txt jit_csv=$RESULTS/$name-jit.csv others=()
  rm -f "$jit"   # the JIT appends to its file
  [ "$ranks" -gt 1 ] && others=(: -n $((ranks - 1)) "$program" --class S)
  mpi_job 120 1 env DOTNET_JitDisasm="$methods" DOTNET_JitStdOutFile="$jit" \
    "$program" --class S "${others[@]}" >/dev/null 2>&1 || progress "the JIT listing run failed"
  echo "method,code_bytes,stack_operands,unconditional_jumps,range_checks,tier" >"$jit_csv"
  # Only the kernel classes' methods (IsKernels, MgKernels, MgRows: a name may also match a wrapper), one
  # row per compilation (a method compiled at Tier0 and again optimized has two; tier: the JIT's).
  awk 'function flush() { if (m != "") printf "%s,%s,%d,%d,%d,%s\n", m, size, st, jm, rc, tier; m = "" }
       /^; Assembly listing for method/ { flush(); if ($0 !~ /(Kernels|Rows):/) next
         split($0, a, ":"); m = a[2]; sub(/\(.*/, "", m); tier = $0; sub(/.*\(/, "", tier); sub(/\).*/, "", tier)
         size = 0; st = 0; jm = 0; rc = 0; next }
       m == "" { next }
       /\[(rbp|rsp)[-+]/ && !/lea +rbp/ { st++ } /^ +jmp / { jm++ } /RNGCHKFAIL/ { rc++ }
       /^; Total bytes of code/ { size = $NF }
       END { flush() }' "$jit" >>"$jit_csv" 2>/dev/null || true
  {
    echo "$name: JIT listing of the kernels (DOTNET_JitDisasm, $jit):"
    awk -F, 'NR > 1 { printf "  %-20s %4s bytes, %s stack operands, %s jmp, %s range checks (%s)\n", $1, $2, $3, $4, $5, $6 }' "$jit_csv"
  } >&2
}

# The C# jobs' runtime settings (KERNEL_CSHARP_ENV, NAME=VALUE words; the default below):
# DOTNET_TieredCompilation=0 compiles every method once, fully optimized, before its first call
# (precompiled ReadyToRun code is used as it is), as the C program is compiled before it starts.
# With tiering on, methods the timed loop calls (Span.Clear's helpers, the binding's wrappers,
# MG's halo exchange) are call-counted and recompiled on the JIT's background thread during the
# first runs' timed iterations, which on 2 cores shared by 4 ranks costs the small classes up to
# half their Mop/s (bench/RESULTS.md, kern15). KERNEL_CSHARP_ENV="" measures with tiering.
# With tiering off IS does not sleep its JIT settle before the timed loop either (nothing to wait for;
# the sleep only cooled the caches: kern18), so both programs go from the barrier straight into the loop.
KERNEL_CSHARP_ENV=${KERNEL_CSHARP_ENV-DOTNET_TieredCompilation=0}

# Alternates the two programs, C then C# in odd pairs, C# then C in even ones, per class and rank
# count; writes NAME.csv (pair,impl,class,ranks,rep,seconds,mops,verified,FIELD; FIELD printed
# with FORMAT, e.g. %.17g to compare doubles that C and .NET print differently).
#   kernel_alternate NAME C_PROGRAM CS_PROGRAM "CLASSES" "RANKS" PAIRS REPEATS FIELD FORMAT
kernel_alternate() {
  local name=$1 c_program=$2 cs_program=$3 classes=$4 ranks_list=$5 pairs=$6 repeats=$7 field=$8 format=$9
  local raw=$RESULTS/$name.csv
  echo "pair,impl,class,ranks,rep,seconds,mops,verified,$field" >"$raw"
  local total=0 done_jobs=0 pair class ranks impl
  for class in $classes; do for ranks in $ranks_list; do total=$((total + 2 * pairs)); done; done
  progress "C# jobs run with: ${KERNEL_CSHARP_ENV:-the default runtime settings}"
  for pair in $(seq 1 "$pairs"); do
    for class in $classes; do
      for ranks in $ranks_list; do
        local order="c csharp"
        [ $((pair % 2)) -eq 0 ] && order="csharp c"
        for impl in $order; do
          done_jobs=$((done_jobs + 1))
          progress "[$done_jobs/$total] pair $pair/$pairs class $class, $ranks ranks: $impl"
          local program=$c_program run_env=()
          [ "$impl" = csharp ] && program=$cs_program && read -r -a run_env <<<"$KERNEL_CSHARP_ENV"
          if ! mpi_job 1800 "$ranks" env "${run_env[@]}" "$program" --class "$class" --repeats "$(kernel_repeats "$repeats" "$class")" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
            progress "$impl class $class on $ranks ranks failed:"
            tail -5 "$TMP/$name.out" "$TMP/$name.err" >&2 || true
          fi
          grep '^RESULT impl=' "$TMP/$name.out" | awk -v pair="$pair" -v field="$field" -v format="$format" '{
              for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
              value = format == "%s" ? f[field] : sprintf(format, f[field] + 0)
              printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", pair, f["impl"], f["class"], f["ranks"], f["rep"], f["seconds"], f["mops"], f["verified"], value
            }' >>"$raw" || true
        done
      done
    done
  done
}

# Per pair: C# median / C median over the job's repetitions; per class and ranks: the median
# over pairs; writes NAME-summary.csv and NAME.png, prints the table (stderr) and the summary
# line (stdout): "NAME: ratio= ratio_min= worst= [ratio_A1=] configs= verified= AGREE= jit_...".
#   kernel_summary NAME "CLASSES" "RANKS" PAIRS REPEATS AGREE TITLE WITH_A1(0|1)
kernel_summary() {
  local name=$1 classes=$2 ranks_list=$3 pairs=$4 repeats=$5 agree=$6 title=$7 with_a1=$8
  local raw=$RESULTS/$name.csv summary=$RESULTS/$name-summary.csv jit_csv=$RESULTS/$name-jit.csv class ranks pair
  echo "class,ranks,pairs,c_median_mops,csharp_median_mops,ratio_median,ratio_min,ratio_max,verified,$agree,ratio_runs2_median" >"$summary"
  for class in $classes; do
    for ranks in $ranks_list; do
      local ratios ratios2 c_med cs_med verified same c cs
      ratios=$(for pair in $(seq 1 "$pairs"); do
          c=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "c" && $3 == c && $4 == n { print $7 }' "$raw" | median)
          cs=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "csharp" && $3 == c && $4 == n { print $7 }' "$raw" | median)
          awk -v c="$c" -v cs="$cs" 'BEGIN { if (c != "nan" && cs != "nan" && c > 0) printf "%.4f\n", cs / c }'
        done)
      # The same ratio over each job's runs 2.. only (both languages): a job's first run holds the process's
      # start-up effects (bench/RESULTS.md, kern17), which the C# job pays more of at class S.
      ratios2=$(for pair in $(seq 1 "$pairs"); do
          c=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "c" && $3 == c && $4 == n && $5 > 1 { print $7 }' "$raw" | median)
          cs=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "csharp" && $3 == c && $4 == n && $5 > 1 { print $7 }' "$raw" | median)
          awk -v c="$c" -v cs="$cs" 'BEGIN { if (c != "nan" && cs != "nan" && c > 0) printf "%.4f\n", cs / c }'
        done)
      c_med=$(awk -F, -v c="$class" -v n="$ranks" '$2 == "c" && $3 == c && $4 == n { print $7 }' "$raw" | median)
      cs_med=$(awk -F, -v c="$class" -v n="$ranks" '$2 == "csharp" && $3 == c && $4 == n { print $7 }' "$raw" | median)
      verified=$(awk -F, -v c="$class" -v n="$ranks" 'BEGIN { v = "yes"; k = 0 } $3 == c && $4 == n { k++; if ($8 != "yes") v = "no" } END { print (k == 0 ? "no" : v) }' "$raw")
      same=$(awk -F, -v c="$class" -v n="$ranks" '$3 == c && $4 == n { print $9 }' "$raw" | sort -u | awk 'END { print (NR == 1 ? "yes" : "no") }')
      if [ -z "$ratios" ]; then
        printf '%s,%s,0,%s,%s,nan,nan,nan,no,%s,nan\n' "$class" "$ranks" "$c_med" "$cs_med" "$same" >>"$summary"
        continue
      fi
      printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$class" "$ranks" "$(printf '%s\n' "$ratios" | grep -c .)" "$c_med" "$cs_med" \
        "$(printf '%s\n' "$ratios" | median)" "$(printf '%s\n' "$ratios" | minimum)" "$(printf '%s\n' "$ratios" | maximum)" "$verified" "$same" "$(if [ -n "$ratios2" ]; then printf '%s\n' "$ratios2" | median; else echo nan; fi)" >>"$summary"
    done
  done
  {
    echo "$name: C# / C Mop/s, median over $pairs alternating pairs (each job: median of its runs; runs per job: ${repeats/auto/21 at class S, 3 otherwise})"
    printf '%6s %6s %12s %12s %9s %9s %9s %9s %9s %11s\n' class ranks C_mops Cs_mops ratio r_min r_max verified "$agree" ratio_runs2
    awk -F, 'NR > 1 { printf "%6s %6s %12s %12s %9s %9s %9s %9s %9s %11s\n", $1, $2, $4, $5, $6, $7, $8, $9, $10, $11 }' "$summary"
  } >&2

  local term
  term=$(gnuplot_terminal)
  gnuplot <<EOF || progress "gnuplot failed; no $RESULTS/$name.png"
set terminal $term
set output '$RESULTS/$name.png'
set datafile separator ','
set title '$title: C# port Mop/s / C baseline Mop/s, median over $pairs alternating pairs (bars: min..max)'
set xlabel 'class/ranks'
set ylabel 'C# / C'
set yrange [0.5:1.5]
set grid
set xtics rotate by -45
plot '$summary' every ::1 using 0:6:7:8:xtic(strcol(1).'/'.strcol(2)) with yerrorbars title 'ratio', 1 notitle lc rgb 'gray'
EOF
  progress "wrote $raw, $summary, $RESULTS/$name.png"
  # ratio: geometric mean over class/rank configurations; ratio_min: the worst configuration (the goal is >= 1 everywhere).
  awk -F, -v name="$name" -v agree="$agree" -v with_a1="$with_a1" '
       NR > 1 && $6 != "nan" { n++; lg += log($6); if (min == "" || $6 < min) { min = $6; worst = $1 "/" $2 }
                               if ($1 == "A" && $2 == 1) a1 = $6 }
       NR > 1 { if ($9 != "yes") v = "no"; if ($10 != "yes") k = "no" }
       END { printf "%s: ratio=%.3f ratio_min=%s worst=%s", name, (n ? exp(lg / n) : 0), (n ? min : "nan"), worst
             if (with_a1) printf " ratio_A1=%s", (a1 == "" ? "nan" : a1)
             printf " configs=%d verified=%s %s=%s", n, (v == "" ? "yes" : v), agree, (k == "" ? "yes" : k) }' "$summary"
  awk -F, 'NR > 1 { n++; st += $3; jm += $4; rc += $5 } END { printf " jit_methods=%d jit_stack_operands=%d jit_jumps=%d jit_range_checks=%d\n", n, st, jm, rc }' "$jit_csv"
}

# Runs per job: --repeats R for every class, or by default (auto) 21 for class S and 3 for the
# others. A class S run takes 1-3 ms against a second or two of process start, so 21 runs cost
# nothing, and with 3 the job's median was the luck of one run: MG S/2, 6 pairs, C# / C per pair
# 0.94-1.06 with 21 runs against 0.88-1.03 with 3 (bench/RESULTS.md, kern22).
#   kernel_repeats REPEATS CLASS
kernel_repeats() {
  if [ "$1" != auto ]; then echo "$1"; elif [ "$2" = S ]; then echo 21; else echo 3; fi
}

# The options of iskernel and mgkernel, into the caller's classes, ranks_list, pairs and repeats.
kernel_options() {
  local name=$1
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --classes) classes=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --pairs) pairs=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      *) echo "$name: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
}

# iskernel: the C baseline of IS (bench/native/is.c) against the C# port, alternating C, C#,
# then C#, C, ... per pair, on the same key sets (the same generator; the key rank checksums
# must be equal). Each job runs the benchmark R times (--repeats; kernel_repeats) and the pair's ratio is
# C# median Mop/s / C median Mop/s; per class and rank count the median over pairs.
bench_iskernel() {
  local classes="S W A B" ranks_list="1 2 4" pairs=5 repeats=auto
  kernel_options iskernel "$@"
  ensure_setup
  progress "building bench/native/is.c (mpicc -O3 -march=native) and bench/IS"
  mkdir -p bench/native/build
  mpicc -O3 -march=native -o bench/native/build/is bench/native/is.c
  build_project bench/IS/IS.csproj
  local c_program=bench/native/build/is cs_program=bench/IS/bin/Release/net10.0/IS
  kernel_jit_listing iskernel "$cs_program" 'CountBuckets ExclusivePrefixSum ScatterToBuckets CountKeys InclusivePrefixSum'
  kernel_alternate iskernel "$c_program" "$cs_program" "$classes" "$ranks_list" "$pairs" "$repeats" key_rank_checksum %s
  kernel_summary iskernel "$classes" "$ranks_list" "$pairs" "$repeats" checksums_equal 'NAS IS' 1
}

# mgkernel: the C baseline of MG (bench/native/mg.c) against the C# port (bench/MG, plain
# binding), alternating as iskernel; both must verify and give the same final L2 norm (rnm2,
# compared as doubles: the two programs do the same arithmetic in the same order).
# -ffp-contract=off: GNU C would fuse multiply-adds into FMAs, which the JIT does not, and the
# norms would differ in the last bits.
bench_mgkernel() {
  local classes="S W A" ranks_list="1 2 4" pairs=5 repeats=auto
  kernel_options mgkernel "$@"
  ensure_setup
  progress "building bench/native/mg.c (mpicc -O3 -march=native -ffp-contract=off) and bench/MG"
  mkdir -p bench/native/build
  mpicc -O3 -march=native -ffp-contract=off -o bench/native/build/mg bench/native/mg.c -lm
  build_project bench/MG/MG.csproj
  local c_program=bench/native/build/mg cs_program=bench/MG/bin/Release/net10.0/MG
  kernel_jit_listing mgkernel "$cs_program" 'Residual Smooth Restrict Interpolate Norms CopyPlane WrapAxis PlaneSums ResidualRow SmoothRow RestrictRow CoarseSums InterpolateRow' 2
  kernel_alternate mgkernel "$c_program" "$cs_program" "$classes" "$ranks_list" "$pairs" "$repeats" rnm2 %.17g
  kernel_summary mgkernel "$classes" "$ranks_list" "$pairs" "$repeats" norms_equal 'NAS MG' 0
}
