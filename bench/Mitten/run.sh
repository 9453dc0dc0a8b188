#!/usr/bin/env bash
# Mitten experiments (patent 002, Figs. 11-13). Usually run through scripts/bench.sh.
#
#   bench/Mitten/run.sh overhead  [--repeat K (3)] [--repeats R (60)] [--repeats-small RS (5R)] [--is-classes "A W"] [--is-ranks N (2)]
#                                 [--mpptest-rounds M (9)] [--collective-ranks N (2)] [--measurements T (10)] [--quick]
#       NAS IS and the Mpptest-style patterns on the plain binding and through Mitten,
#       alternating in one job (IS: R repetitions after a warm-up one, each with fresh states,
#       the two variants alternating iteration by iteration, which goes first alternating too;
#       Mpptest: per size and measurement). IS: two states serve all repetitions and swap
#       variants each repetition (layout 0/1); classes S and W run RS repetitions (an iteration is
#       about 7 times shorter than class A's, so 5R takes about the time of class A's R and gives a
#       median of as many milliseconds of work, not 7 times fewer); per class, the geometric mean of the two layouts'
#       median ratios mitten time / plain time; is_pct = their geometric mean over classes,
#       minus 1. Mpptest: point-to-point and collectives on 2 ranks (not oversubscribed; 4 ranks
#       on 2 cores measures time-sharing), M rounds; mpptest_pct = geometric mean over patterns
#       and sizes of the per-size median over rounds of the ratio of the minima, minus 1. Both
#       also run a control (plain against plain on a duplicate communicator, the same way) to
#       show the comparison's own noise floor.
#       The whole measurement is repeated K times in one invocation (--repeat), so one lucky
#       repetition cannot meet the goal: the summary reports the WORST repetition and the spread,
#       "overhead: is_pct=<worst> mpptest_pct=<worst> is_pct_median=... is_pct_range=lo..hi
#       mpptest_pct_median=... mpptest_pct_range=lo..hi pattern_worst=<pattern>:<pct> repetitions=K
#       startup_prejit_ms=... mg_pct=..." (per-repetition figures: overhead-repetitions.csv, per pattern:
#       overhead-mpptest-by-repetition.csv; the other files are the last repetition's).
#       NAS MG (--mg-classes "W A", --mg-ranks 2, --mg-repeats 30), once after the K repetitions, the
#       same way as IS (MG --compare mitten|plain --interleave): mg_pct. --only-mg runs just the MG
#       part and ends with "overhead: mg_pct=Z".
#       Idle warm spares (--spare-pairs P (7); 0 skips): IS class A through Mitten without and with a
#       spare (MITTEN_SPARES=1), one job each per pair, alternating; spares_idle_pct = median over the
#       pairs of the ratio of the jobs' median iteration times, minus 1 (spares_idle_range: lo..hi).
#       --only-spares runs just that part: "overhead: spares_idle_pct=X spares_idle_range=lo..hi".
#   bench/Mitten/run.sh migration [--repeats R (5)] [--ranks "2 4 8"] [--class A] [--rank K (1)] [--iteration I (5)] [--hosts H] [--spares S (0)]
#                                 [--repeats-large R2 (R)] [--job-timeout SECONDS (900)]
#       IS migrating rank K at iteration I, R times per rank count (R2 times from 32 ranks up); phase medians per rank count.
#       --spares S: every job (IS and MG) starts S warm spares (MITTEN_SPARES); the moving rank takes one
#       instead of spawning, and spawn_ms is then the time to take it (synchronized .. spare_taken).
#       --spares "0 1" (several counts): the scaling sweep (no MG part): every repetition runs each spare
#       count at each rank count, alternating which goes first; files migration-scaling*.csv/png (log-log,
#       one line per phase and variant); per phase the slope of log(median) against log(ranks) (1 = linear);
#       ends with "migration: sweep=yes class=C ranks=... spares=0,1 protocol_ms_16=P0,P1 protocol_goal_16=met|missed
#       exp_<phase>=E0,E1 ... ratio_<phase>=Q0,Q1 ... linear_ratio=L faster_than_linear=none|phase:spares,... runs= failed= verified=".
#       A job that fails or passes --job-timeout is recorded in migration*-failures.txt and the sweep goes on.
#       Then NAS MG (--mg-class W --mg-ranks 8 --mg-rank 1 --mg-iteration 2), the size SNOW moved 7.5 MB
#       for in 2.29 s, R times; --only-mg runs just the MG part.
#       Ends with "migration: ranks=8 spares=S sync_ms=S protocol_ms=P spawn_ms=Y transfer_ms=Z total_ms=T freeze_ms=F mg_...=...".
#       --hosts H (root): over H namespace test hosts (scripts/hosts.sh; brought up, and down at the
#       end, when not up already), each repetition moving rank K to the host it is on (same-host)
#       and to the next host (cross-host), alternating which goes first; no MG part. The phases are
#       the cross-host medians (files migration-hosts*.csv/png); the line is "migration: hosts=H class=C ranks=N spares=S sync_ms= protocol_ms=
#       spawn_ms= (take_ms= with spares) transfer_ms= commit_resume_ms= total_ms= freeze_ms= same_host_<each>_ms=
#       cross_vs_same_total= cross_vs_same_freeze= cross_vs_same_protocol= cross_vs_same_spawn|take= [spare_taken=K/N]
#       load1=median(min..max)" (ratios: medians of per-repetition ratios). With --spares S the spares
#       start on each variant's TARGET host (MITTEN_SPARE_HOSTS: h1 for same-host, h2 for cross-host),
#       so the moving rank takes one there; spare_taken counts the runs that did (the rest spawned).
#
# Results: CSV and PNG files in bench/results/ (or $MITTEN_BENCH_RESULTS); progress on stderr.
# Every MPI job runs under flock $MITTEN_BENCH_LOCK (default /tmp/mitten-mpi-jobs.lock).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export TERM=dumb

LOCK=${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}
RESULTS=${MITTEN_BENCH_RESULTS:-$PWD/bench/results}
TMP=$RESULTS/tmp
mkdir -p "$RESULTS" "$TMP"
IS=bench/IS/bin/Release/net10.0/IS
MPPTEST=bench/Mpptest/bin/Release/net10.0/Mpptest

NAME=${1:-}
[ $# -gt 0 ] && shift
case "$NAME" in
  overhead|migration) ;;
  *) sed -n '2,50p' "$0" >&2; exit 2 ;;
esac

progress() { printf '[bench %s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# quantile Q: the Q-quantile (0..1, linear interpolation) of the numbers on stdin.
quantile() { sort -g | awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } p = 1 + q * (NR - 1); i = int(p); f = p - i; print (i < NR) ? v[i] + f * (v[i + 1] - v[i]) : v[i] }'; }
minimum() { sort -g | awk 'NR == 1'; }  # reads all its input: head would make sort die of SIGPIPE under pipefail
maximum() { sort -g | tail -1; }

# mpi_job SECONDS RANKS program args...: one MPI job under the machine lock.
mpi_job() {
  local limit=$1 ranks=$2
  shift 2
  flock "$LOCK" timeout "$limit" mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" "$@"
}

build() {
  local project
  for project in bench/IS/IS.csproj bench/Mpptest/Mpptest.csproj bench/MG/MG.csproj; do
    local attempt ok=0
    for attempt in 1 2 3 4; do
      if dotnet build "$project" -c Release -v q -nologo -clp:NoSummary >"$TMP/mitten-build.log" 2>&1; then ok=1; break; fi
      progress "build of $project failed (attempt $attempt), retrying"
      sleep 5
    done
    if [ "$ok" -ne 1 ]; then
      cat "$TMP/mitten-build.log" >&2
      echo "$NAME: error=build-failed project=$project"
      exit 1
    fi
  done
}

. bench/Mitten/scaling.sh   # the migration options' checks and the scaling sweep's report
. bench/Mitten/idle-spares.sh   # what idle warm spares cost (overhead's last part)

gnuplot_terminal() {
  if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then echo "pngcairo size 900,600 font ',10'"; else echo "png size 900,600"; fi
}

# ---------------------------------------------------------------------------------------------
overhead() {
  local repeats=60 repeats_small="" classes="A W" is_ranks=2 rounds=9 measurements=10 collective_ranks=2 quick=() repetitions=3
  local mg_classes="W A" mg_ranks=2 mg_repeats=30 only_mg=0 spare_pairs=7 only_spares=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeat) repetitions=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      --repeats-small) repeats_small=$2; shift 2 ;;
      --is-classes) classes=$2; shift 2 ;;
      --is-ranks) is_ranks=$2; shift 2 ;;
      --mpptest-rounds) rounds=$2; shift 2 ;;
      --collective-ranks) collective_ranks=$2; shift 2 ;;
      --measurements) measurements=$2; shift 2 ;;
      --quick) quick=(--quick); shift ;;
      --mg-classes) mg_classes=$2; shift 2 ;;
      --mg-ranks) mg_ranks=$2; shift 2 ;;
      --mg-repeats) mg_repeats=$2; shift 2 ;;
      --only-mg) only_mg=1; shift ;;
      --spare-pairs) spare_pairs=$2; shift 2 ;;
      --only-spares) only_spares=1; shift ;;
      --hosts) hosts=$2; shift 2 ;;
      *) echo "overhead: unknown option $1" >&2; exit 2 ;;
    esac
  done
  [ -n "$repeats_small" ] || repeats_small=$((5 * repeats))
  build
  if [ "$only_mg" -eq 1 ]; then
    echo "overhead: mg_pct=$(overhead_mg "$mg_classes" "$mg_ranks" "$mg_repeats")"
    return
  fi
  if [ "$only_spares" -eq 1 ]; then
    local only
    only=$(overhead_idle_spares "$spare_pairs" A "$is_ranks")
    echo "overhead: spares_idle_pct=${only% *} spares_idle_range=${only#* } spare_pairs=$spare_pairs"
    return
  fi

  # K repetitions of the whole measurement, each in its own directory; the last one's files are
  # copied to $RESULTS under the usual names, the per-repetition figures are collected.
  local base=$RESULTS base_tmp=$TMP k line
  local reps_csv=$base/overhead-repetitions.csv by_rep=$base/overhead-mpptest-by-repetition.csv
  echo "repetition,is_pct,mpptest_pct,is_control_pct,mpptest_control_pct,startup_prejit_ms,startup_exercise_ms" >"$reps_csv"
  echo "repetition,pattern,ranks,geomean_ratio_min,overhead_pct,control_ratio" >"$by_rep"
  for k in $(seq 1 "$repetitions"); do
    local dir=$base_tmp/overhead-rep$k
    rm -rf "$dir"
    mkdir -p "$dir/tmp"
    progress "repetition $k/$repetitions"
    if ! line=$(RESULTS=$dir TMP=$dir/tmp overhead_repetition); then
      echo "$line"
      exit 1
    fi
    progress "repetition $k/$repetitions: $line"
    local is_pct mpp_pct is_ctl mpp_ctl prejit exercise
    is_pct=$(printf '%s\n' "$line" | sed -n 's/.*is_pct=\([-0-9.na]*\).*/\1/p')
    mpp_pct=$(printf '%s\n' "$line" | sed -n 's/.*mpptest_pct=\([-0-9.na]*\).*/\1/p')
    is_ctl=$(awk -F, 'NR > 1 { n++; s += log($4) } END { if (n) printf "%.2f", (exp(s / n) - 1) * 100; else print "nan" }' "$dir/overhead-is-control.csv")
    mpp_ctl=$(awk -F, '{ n++; s += log($4) } END { if (n) printf "%.2f", (exp(s / n) - 1) * 100; else print "nan" }' "$dir/tmp/mpp-control-per-size.csv")
    prejit=$(sed -n 's/^mitten-startup .*prejit_ms=\([0-9.]*\).*/\1/p' "$dir"/tmp/overhead-is.err 2>/dev/null | median)
    exercise=$(sed -n 's/^mitten-startup .*exercise_ms=\([0-9.]*\).*/\1/p' "$dir"/tmp/overhead-is.err 2>/dev/null | median)
    echo "$k,$is_pct,$mpp_pct,$is_ctl,$mpp_ctl,$prejit,$exercise" >>"$reps_csv"
    awk -F, -v k="$k" 'NR == FNR { if (FNR > 1) c[$1] = $4; next } FNR > 1 { printf "%s,%s,%s,%s,%s,%s\n", k, $1, $2, $4, $7, c[$1] }' \
      "$dir/overhead-mpptest-control.csv" "$dir/overhead-mpptest-summary.csv" >>"$by_rep"
  done
  local f
  for f in "$base_tmp/overhead-rep$repetitions"/overhead*; do
    [ -f "$f" ] && cp "$f" "$base/"
  done
  {
    echo "overhead: $repetitions repetitions (each: IS $repeats repetitions per class, $repeats_small for S and W, Mpptest $rounds rounds):"
    printf '  %4s %9s %12s %11s %16s %10s\n' rep is_pct mpptest_pct is_control mpptest_control prejit_ms
    awk -F, 'NR > 1 { printf "  %4s %9s %12s %11s %16s %10s\n", $1, $2, $3, $4, $5, $6 }' "$reps_csv"
    echo "overhead: Mpptest per pattern, Mitten/plain in each repetition (goal: every pattern within 2 % in every one):"
    for pattern in $(awk -F, 'NR > 1 { print $2 }' "$by_rep" | awk '!seen[$0]++'); do
      awk -F, -v p="$pattern" 'NR > 1 && $2 == p { n++; v[n] = $5; if (n == 1 || $5 > w) w = $5; c = c sprintf(" %+.2f", $5) }
        END { printf "  %-12s worst %+.2f %% (repetitions:%s)\n", p, w, c }' "$by_rep"
    done
  } >&2
  local worst_is worst_mpp med_is med_mpp range_is range_mpp pattern_worst prejit_med exercise_med
  worst_is=$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | maximum)
  worst_mpp=$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | maximum)
  med_is=$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | median)
  med_mpp=$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | median)
  range_is="$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | minimum)..$worst_is"
  range_mpp="$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | minimum)..$worst_mpp"
  pattern_worst=$(awk -F, 'NR > 1 { if (w == "" || $5 > w) { w = $5; p = $2 } } END { printf "%s:%+.2f", p, w }' "$by_rep")
  prejit_med=$(awk -F, 'NR > 1 && $6 != "nan" && $6 != "" { print $6 }' "$reps_csv" | median)
  exercise_med=$(awk -F, 'NR > 1 && $7 != "nan" && $7 != "" { print $7 }' "$reps_csv" | median)
  local mg_pct
  mg_pct=$(overhead_mg "$mg_classes" "$mg_ranks" "$mg_repeats")
  local idle="nan nan..nan"
  [ "$spare_pairs" -gt 0 ] && idle=$(overhead_idle_spares "$spare_pairs" A "$is_ranks")
  echo "overhead: is_pct=$worst_is mpptest_pct=$worst_mpp is_pct_median=$med_is is_pct_range=$range_is mpptest_pct_median=$med_mpp mpptest_pct_range=$range_mpp pattern_worst=$pattern_worst repetitions=$repetitions startup_prejit_ms=$prejit_med startup_exercise_ms=$exercise_med mg_pct=$mg_pct spares_idle_pct=${idle% *} spares_idle_range=${idle#* }"
}

# One repetition of the overhead measurement (the options of overhead() in scope); writes its
# files into $RESULTS and ends with "overhead: is_pct=X mpptest_pct=Y" on stdout.
overhead_repetition() {
  # IS: one job per class, plain and Mitten alternating iteration by iteration inside it
  # (--interleave): a pair is one timed iteration of each variant, taken milliseconds apart.
  local is_raw=$RESULTS/overhead-is.csv
  echo "class,ranks,rep,variant,seconds,mops,verified" >"$is_raw"
  local is_ratios=$RESULTS/overhead-is-ratios.csv
  echo "class,ranks,rep,iteration,first,layout,plain_s,mitten_s,ratio" >"$is_ratios"
  local mp_csv=$RESULTS/overhead-migration-point.csv
  echo "class,ranks,us_per_migration_point" >"$mp_csv"
  # is_compare_job CLASS mitten|plain OUT: one IS --compare --interleave job (OUT.out, OUT.err); stops the benchmark if it fails.
  is_compare_job() {
    local class_repeats=$repeats
    case "$1" in S|W) class_repeats=$repeats_small ;; esac
    if ! MITTEN_STARTUP_REPORT=1 mpi_job 1800 "$is_ranks" "$IS" --class "$1" --compare "$2" --repeats "$class_repeats" --interleave >"$3.out" 2>"$3.err"; then
      tail -5 "$3.out" "$3.err" >&2 || true
      echo "overhead: error=is-$2-run-failed class=$1"
      exit 1
    fi
    if grep -q '^COMPARE .*verified=no' "$3.out"; then
      echo "overhead: error=is-verification-failed class=$1 variant=$2"
      exit 1
    fi
  }
  # iteration_pairs CLASS FILE: "class,ranks,rep,iteration,first,layout,plain_s,other_s,ratio" per COMPARE_ITER line after the warm-up repetition.
  iteration_pairs() {
    grep '^COMPARE_ITER ' "$2" | grep -v ' rep=0 ' | awk -v c="$1" -v r="$is_ranks" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[i] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%.6f\n", c, r, v[2], v[3], v[4], v[5], v[6], v[7], v[7] / v[6]
      }'
  }
  # layout_figure: from "layout,ratio" lines, the geometric mean of the two layouts' median
  # ratios (each state serves each variant in half the repetitions, so the placement cancels).
  layout_figure() {
    local data m0 m1
    data=$(cat)
    m0=$(printf '%s\n' "$data" | awk -F, '$1 == 0 { print $2 }' | median)
    m1=$(printf '%s\n' "$data" | awk -F, '$1 == 1 { print $2 }' | median)
    awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.6f,%.6f,%.6f\n", sqrt(a * b), a, b }'
  }
  local class
  for class in $classes; do
    progress "IS class $class on $is_ranks ranks: $( case "$class" in S|W) echo "$repeats_small" ;; *) echo "$repeats" ;; esac) repetitions, plain and Mitten alternating iteration by iteration, one job"
    is_compare_job "$class" mitten "$TMP/overhead-is"
    grep '^COMPARE ' "$TMP/overhead-is.out" | grep -v ' rep=0 ' | awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s\n", f["class"], f["ranks"], f["rep"], f["variant"], f["seconds"], f["mops"], f["verified"]
      }' >>"$is_raw"
    iteration_pairs "$class" "$TMP/overhead-is.out" >>"$is_ratios"
    sed -n 's/^COMPARE_MIGRATION_POINT .*us_per_call=\([0-9.]*\).*/\1/p' "$TMP/overhead-is.out" | sed "s/^/$class,$is_ranks,/" >>"$mp_csv"
  done
  # Per class: the figure (geometric mean of the two layouts' median ratios) and the spread of
  # the per-iteration ratios.
  local is_summary=$RESULTS/overhead-is-summary.csv
  echo "class,ranks,pairs,ratio,min_ratio,max_ratio,overhead_pct,plain_median_s,mitten_median_s,q1_ratio,q3_ratio,median_layout0,median_layout1" >"$is_summary"
  for class in $classes; do
    local sel fig lo hi pm mm n q1 q3
    sel=$(awk -F, -v c="$class" 'NR > 1 && $1 == c' "$is_ratios")
    n=$(printf '%s\n' "$sel" | grep -c . || true)
    [ "$n" -gt 0 ] || continue
    fig=$(printf '%s\n' "$sel" | cut -d, -f6,9 | layout_figure)
    lo=$(printf '%s\n' "$sel" | cut -d, -f9 | minimum)
    hi=$(printf '%s\n' "$sel" | cut -d, -f9 | maximum)
    q1=$(printf '%s\n' "$sel" | cut -d, -f9 | quantile 0.25)
    q3=$(printf '%s\n' "$sel" | cut -d, -f9 | quantile 0.75)
    pm=$(printf '%s\n' "$sel" | cut -d, -f7 | median)
    mm=$(printf '%s\n' "$sel" | cut -d, -f8 | median)
    awk -v c="$class" -v r="$is_ranks" -v n="$n" -v f="$fig" -v lo="$lo" -v hi="$hi" -v pm="$pm" -v mm="$mm" -v q1="$q1" -v q3="$q3" \
      'BEGIN { split(f, g, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.6f,%.6f,%.4f,%.4f,%.4f,%.4f\n", c, r, n, g[1], lo, hi, (g[1] - 1) * 100, pm, mm, q1, q3, g[2], g[3] }' >>"$is_summary"
  done

  # IS control: the same comparison between two identical variants (plain on MPI_COMM_WORLD and
  # plain on a duplicate of it), so the Mitten figure can be read against the harness's own
  # noise floor and bias on this machine.
  local is_control=$RESULTS/overhead-is-control.csv
  echo "class,ranks,pairs,ratio,q1_ratio,q3_ratio,overhead_pct,median_layout0,median_layout1" >"$is_control"
  for class in $classes; do
    progress "IS class $class on $is_ranks ranks, control: plain and plain on a duplicate communicator, alternating iteration by iteration"
    is_compare_job "$class" plain "$TMP/overhead-is-control"
    iteration_pairs "$class" "$TMP/overhead-is-control.out" | cut -d, -f6,9 >"$TMP/is-control-ratios.txt"
    local cn cf cq1 cq3
    cn=$(grep -c . "$TMP/is-control-ratios.txt" || true)
    cf=$(layout_figure <"$TMP/is-control-ratios.txt")
    cq1=$(cut -d, -f2 "$TMP/is-control-ratios.txt" | quantile 0.25)
    cq3=$(cut -d, -f2 "$TMP/is-control-ratios.txt" | quantile 0.75)
    awk -v c="$class" -v r="$is_ranks" -v n="$cn" -v f="$cf" -v q1="$cq1" -v q3="$cq3" \
      'BEGIN { split(f, g, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f,%.4f\n", c, r, n, g[1], q1, q3, (g[1] - 1) * 100, g[2], g[3] }' >>"$is_control"
  done

  # Mpptest: point-to-point on 2 ranks, collectives on --collective-ranks (2); each round is two pairs of jobs.
  local mpp_ratios=$RESULTS/overhead-mpptest-ratios.csv mpp_control_ratios=$RESULTS/overhead-mpptest-control-ratios.csv
  echo "round,pattern,ranks,size_bytes,ratio_min,ratio_median" >"$mpp_ratios"
  echo "round,pattern,ranks,size_bytes,ratio_min,ratio_median" >"$mpp_control_ratios"
  : >"$RESULTS/overhead-mpptest.txt"
  local round
  for round in $(seq 1 "$rounds"); do
    local group ranks variant
    for group in p2p collective; do
      ranks=2
      [ "$group" = collective ] && ranks=$collective_ranks
      # Each round runs the Mitten comparison and the control (plain against plain on a
      # duplicate communicator: the noise floor), in alternating order.
      for variant in $( [ $((round % 2)) -eq 1 ] && echo "mitten plain" || echo "plain mitten"); do
        progress "Mpptest round $round/$rounds: $group patterns on $ranks ranks, plain and $( [ "$variant" = mitten ] && echo Mitten || echo "plain-dup (control)") alternating (T=$measurements)"
        if ! mpi_job 1800 "$ranks" "$MPPTEST" --patterns "$group" --measurements "$measurements" --compare "$variant" "${quick[@]}" \
            >"$TMP/overhead-mpp.out" 2>"$TMP/overhead-mpp.err"; then
          tail -5 "$TMP/overhead-mpp.out" "$TMP/overhead-mpp.err" >&2 || true
          echo "overhead: error=mpptest-run-failed group=$group variant=$variant"
          exit 1
        fi
        { echo "# round $round, $group, --compare $variant"; cat "$TMP/overhead-mpp.out"; } >>"$RESULTS/overhead-mpptest.txt"
        grep '^CSV ratio,' "$TMP/overhead-mpp.out" | awk -F, -v r="$round" '{ printf "%s,%s,%s,%s,%s,%s\n", r, $2, $4, $5, $6, $7 }' \
          >>"$( [ "$variant" = mitten ] && echo "$mpp_ratios" || echo "$mpp_control_ratios")"
      done
    done
  done
  # The control's figure, computed as the headline below: per size the median over rounds of
  # the ratio of the minima, then the geometric mean (per pattern, and over everything).
  local mpp_control=$RESULTS/overhead-mpptest-control.csv
  : >"$TMP/mpp-control-per-size.csv"
  local ckey
  for ckey in $(awk -F, 'NR > 1 { print $2 "," $3 "," $4 }' "$mpp_control_ratios" | awk '!seen[$0]++'); do
    printf '%s,%s\n' "$ckey" "$(awk -F, -v k="$ckey" 'NR > 1 && ($2 "," $3 "," $4) == k { print $5 }' "$mpp_control_ratios" | median)" >>"$TMP/mpp-control-per-size.csv"
  done
  echo "pattern,ranks,sizes,geomean_ratio_min,overhead_pct" >"$mpp_control"
  awk -F, '{ n[$1]++; s[$1] += log($4); r[$1] = $2; if (!($1 in o)) { o[$1] = ++k; name[k] = $1 } }
    END { for (i = 1; i <= k; i++) { p = name[i]; printf "%s,%s,%d,%.4f,%.2f\n", p, r[p], n[p], exp(s[p] / n[p]), (exp(s[p] / n[p]) - 1) * 100 } }' \
    "$TMP/mpp-control-per-size.csv" >>"$mpp_control"
  # Per pattern and size: median over rounds of the ratio of the minima over T (mpptest's
  # figure: the least disturbed measurement) and of the ratio of the medians; per pattern:
  # geometric means over the sizes.
  local mpp_summary=$RESULTS/overhead-mpptest-summary.csv
  echo "pattern,ranks,sizes,geomean_ratio_min,min_size_ratio,max_size_ratio,overhead_pct,geomean_ratio_median" >"$mpp_summary"
  : >"$TMP/mpp-per-size.csv"
  local key
  for key in $(awk -F, 'NR > 1 { print $2 "," $3 "," $4 }' "$mpp_ratios" | awk '!seen[$0]++'); do
    printf '%s,%s,%s\n' "$key" \
      "$(awk -F, -v k="$key" 'NR > 1 && ($2 "," $3 "," $4) == k { print $5 }' "$mpp_ratios" | median)" \
      "$(awk -F, -v k="$key" 'NR > 1 && ($2 "," $3 "," $4) == k { print $6 }' "$mpp_ratios" | median)" >>"$TMP/mpp-per-size.csv"
  done
  local pattern
  for pattern in pingpong nonblocking head-to-head halo bisection barrier bcast reduce allreduce alltoall; do
    awk -F, -v p="$pattern" '$1 == p { n++; s += log($4); sm += log($5); r = $2; if (n == 1 || $4 < lo) lo = $4; if (n == 1 || $4 > hi) hi = $4 }
      END { if (n > 0) printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f\n", p, r, n, exp(s / n), lo, hi, (exp(s / n) - 1) * 100, exp(sm / n) }' "$TMP/mpp-per-size.csv" >>"$mpp_summary"
  done

  {
    echo "overhead: IS, ratio Mitten/plain per pair of timed iterations (geometric mean of the two layouts' medians):"
    awk -F, 'NR > 1 { printf "  IS class %s, %s ranks: %.4f (layout medians %.4f, %.4f; pairs: quartiles %.4f..%.4f, range %.4f..%.4f, %s of them) -> %+.2f%%; plain %.4f s, Mitten %.4f s per iteration (medians)\n", $1, $2, $4, $12, $13, $10, $11, $5, $6, $3, $7, $8, $9 }' "$is_summary"
    echo "overhead: IS control, ratio plain-on-a-duplicate/plain (two identical variants: the comparison's noise floor):"
    awk -F, 'NR > 1 { printf "  IS class %s, %s ranks: %.4f (layout medians %.4f, %.4f; pairs: quartiles %.4f..%.4f, %s of them) -> %+.2f%%\n", $1, $2, $4, $8, $9, $5, $6, $3, $7 }' "$is_control"
    echo "overhead: IS, cost of one migration point (what Mitten adds per iteration besides a counter per collective), and the bound it sets:"
    awk -F, 'NR == FNR { if (FNR > 1) t[$1] = $8; next } FNR > 1 { printf "  class %s, %s ranks: %.2f us per migration point; 10 per run = %.4f%% of the plain median %.4f s\n", $1, $2, $3, 10 * $3 / 1e6 / t[$1] * 100, t[$1] }' "$is_summary" "$mp_csv"
    echo "overhead: Mpptest-style, geometric mean over sizes of the per-size ratio of the minima over T (median over $rounds rounds):"
    awk -F, 'NR == FNR { if (FNR > 1) c[$1] = $4; next }
      FNR > 1 { printf "  %-12s %s ranks: %.4f (sizes %.4f..%.4f) -> %+.2f%%   [ratio of medians: %.4f; control plain-dup/plain: %.4f]\n", $1, $2, $4, $5, $6, $7, $8, c[$1] }' "$mpp_control" "$mpp_summary"
    awk -F, '{ n++; s += log($4) } END { printf "overhead: Mpptest control (plain-dup/plain, the same way): %+.2f%%\n", (exp(s / n) - 1) * 100 }' "$TMP/mpp-control-per-size.csv"
  } >&2

  local term
  term=$(gnuplot_terminal)
  gnuplot <<EOF
set terminal $term
set output '$RESULTS/overhead.png'
set datafile separator ','
set multiplot layout 1,2 title 'Mitten overhead over the plain binding (ratio of times, same job, alternating)'
set ylabel 'Mitten time / plain time'
set grid ytics
set title 'NAS IS, $is_ranks ranks (box: quartiles, whiskers: range)'
set xrange [-0.6:$(echo "$classes" | wc -w) - 0.4]
set yrange [0:*]
set boxwidth 0.4
plot '$is_summary' every ::1 using 0:10:5:6:11:xticlabels(stringcolumn(1)) with candlesticks whiskerbars lc rgb 'steelblue' notitle, \
     '' every ::1 using 0:4 with points pt 7 lc rgb 'black' notitle, 1 lc rgb 'gray' notitle
set title 'Mpptest-style (geomean over sizes; bars: range)'
set xrange [-0.6:9.6]
set yrange [0.8:1.4]
set xtics rotate by -30
set boxwidth 0.6
set style fill solid 0.5 border -1
plot '$mpp_summary' every ::1 using 0:4:xticlabels(1) with boxes lc rgb 'orange' notitle, \
     '' every ::1 using 0:4:5:6 with yerrorbars pt 0 lc rgb 'black' notitle, 1 lc rgb 'gray' notitle
unset multiplot
EOF
  progress "wrote $is_raw, $is_ratios, $is_summary, $mpp_ratios, $mpp_summary, $RESULTS/overhead.png"

  local is_pct mpp_pct
  # Headline IS figure: the geometric mean over the classes of each class's figure (itself the
  # geometric mean of its two layouts' median per-iteration ratios).
  is_pct=$(awk -F, 'NR > 1 { n++; s += log($4) } END { printf "%.2f", (exp(s / n) - 1) * 100 }' "$is_summary")
  local is_q1 is_q3
  is_q1=$(awk -F, 'NR > 1 { print $9 }' "$is_ratios" | quantile 0.25 | awk '{ printf "%.2f", ($1 - 1) * 100 }')
  is_q3=$(awk -F, 'NR > 1 { print $9 }' "$is_ratios" | quantile 0.75 | awk '{ printf "%.2f", ($1 - 1) * 100 }')
  progress "IS: $is_pct % (every iteration pair: quartiles $is_q1 % .. $is_q3 %)"
  # Headline Mpptest figure: geometric mean over every (pattern, size) of the ratio of the minima.
  mpp_pct=$(awk -F, '{ n++; s += log($4) } END { printf "%.2f", (exp(s / n) - 1) * 100 }' "$TMP/mpp-per-size.csv")
  echo "overhead: is_pct=$is_pct mpptest_pct=$mpp_pct"
}

# ---------------------------------------------------------------------------------------------
migration() {
  local repeats=5 repeats_large="" ranks_list="2 4 8" class=A moving=1 iteration=5 spares_list="" job_timeout=900
  local mg_class=W mg_ranks=8 mg_moving=1 mg_iteration=2 only_mg=0 hosts=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeats|--repeats-large|--ranks|--class|--rank|--iteration|--mg-class|--mg-ranks|--mg-rank|--mg-iteration|--hosts|--spares|--job-timeout)
        [ $# -ge 2 ] || { echo "migration: option $1 needs a value" >&2; exit 2; } ;;
    esac
    case "$1" in
      --repeats) repeats=$2; shift 2 ;;
      --repeats-large) repeats_large=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --class) class=$2; shift 2 ;;
      --rank) moving=$2; shift 2 ;;
      --iteration) iteration=$2; shift 2 ;;
      --mg-class) mg_class=$2; shift 2 ;;
      --mg-ranks) mg_ranks=$2; shift 2 ;;
      --mg-rank) mg_moving=$2; shift 2 ;;
      --mg-iteration) mg_iteration=$2; shift 2 ;;
      --only-mg) only_mg=1; shift ;;
      --hosts) hosts=$2; shift 2 ;;
      --spares) spares_list=$2; shift 2 ;;
      --job-timeout) job_timeout=$2; shift 2 ;;
      *) echo "migration: unknown option $1" >&2; exit 2 ;;
    esac
  done
  # Refuse what cannot run before building anything (bench/Mitten/scaling.sh).
  migration_check_options "$repeats" "$repeats_large" "$ranks_list" "$class" "$moving" "$iteration" "$spares_list" "$hosts" "$job_timeout" || exit 2
  [ -n "$repeats_large" ] || repeats_large=$repeats
  # One spare count: every job runs with it (MITTEN_SPARES), as before. Several ("0 1"): the
  # scaling sweep; each repetition runs every spare count at every rank count, alternating which
  # goes first, and the files are migration-scaling*.
  local sweep=0
  if [ "$(echo "$spares_list" | wc -w)" -gt 1 ]; then
    sweep=1
  elif [ -n "$spares_list" ]; then
    export MITTEN_SPARES=$spares_list
  fi
  build
  if [ "$only_mg" -eq 1 ]; then
    echo "migration: $(migration_mg "$mg_class" "$mg_ranks" "$mg_moving" "$mg_iteration" "$repeats")"
    return
  fi
  # --hosts H: the ranks run over H namespace test hosts (scripts/hosts.sh), spread evenly
  # (slots = ceil(N / H) per host), and every repetition runs two variants, alternating which
  # goes first: rank K moves to the host it is on (same-host) and to the next host (cross-host).
  # Without --hosts: one variant on this machine (local), as before.
  local variants="local"
  if [ "$hosts" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "migration: error=hosts-needs-root"; exit 1; }
    local state=${MITTEN_HOSTS_STATE:-/tmp/mitten-hosts}
    if [ ! -f "$state/hostfile" ] || [ "$(wc -l <"$state/hostfile")" -lt "$hosts" ]; then
      trap 'bash scripts/hosts.sh down >&2' EXIT
      bash scripts/hosts.sh up "$hosts" >&2 || { echo "migration: error=hosts-up-failed"; exit 1; }
    fi
    eval "$(bash scripts/hosts.sh env)"
    variants="same-host cross-host"
  elif [ "$sweep" -eq 1 ]; then
    variants=$(for s in $spares_list; do printf 'spares%s ' "$s"; done)
  fi
  local files=migration
  [ "$sweep" -eq 1 ] && files=migration-scaling
  [ "$hosts" -gt 0 ] && files=migration-hosts   # its own files: a cross-host run does not replace the local figures
  local raw=$RESULTS/$files.csv
  echo "rep,class,ranks,moved_rank,iteration,sync_ms,protocol_ms,spawn_ms,transfer_ms,total_ms,freeze_ms,synchronized_ms,spawned_ms,restored_ms,committed_ms,resumed_ms,state_bytes,verified,variant,from,to,spares,job_s,load1,replacement,stopped_ms,freeze_from_stop_ms" >"$raw"
  rm -f "$RESULTS/$files-failures.txt"   # written only when a job fails
  local total=0 done_runs=0 failed_runs=0 rep ranks variant nvariants started=$SECONDS
  nvariants=$(echo "$variants" | wc -w)
  for ranks in $ranks_list; do total=$((total + $(migration_repeats_for "$ranks" "$repeats" "$repeats_large") * nvariants)); done
  for rep in $(seq 1 "$repeats"); do
    for ranks in $ranks_list; do
      [ "$rep" -le "$(migration_repeats_for "$ranks" "$repeats" "$repeats_large")" ] || continue
      local order=$variants hostfile_args=() from="" to=""
      if [ "$hosts" -gt 0 ]; then
        local slots=$(( (ranks + hosts - 1) / hosts )) h
        : >"$TMP/migration-hostfile"
        for h in $(seq 1 "$hosts"); do echo "h$h slots=$slots" >>"$TMP/migration-hostfile"; done
        hostfile_args=(--hostfile "$TMP/migration-hostfile")
        from=h$(( moving / slots + 1 ))
        to=h$(( (moving / slots + 1) % hosts + 1 ))
      fi
      # Which variant goes first alternates with the repetition.
      [ $((rep % 2)) -eq 0 ] && order=$(echo "$variants" | awk '{ for (i = NF; i >= 1; i--) printf "%s ", $i }')
      for variant in $order; do
        done_runs=$((done_runs + 1))
        local target="" spares=${MITTEN_SPARES:-0} spare_hosts=${MITTEN_SPARE_HOSTS:-}
        case "$variant" in
          same-host) target=":$from" ;;
          cross-host) target=":$to" ;;
          spares*) spares=${variant#spares} ;;
        esac
        # Over hosts with spares: the spares start on the TARGET host of the variant (h1 for
        # same-host, h2 for cross-host), so the moving rank takes one there instead of spawning.
        [ -n "$target" ] && [ "$spares" -gt 0 ] && spare_hosts=${target#:}
        progress "[$done_runs/$total] IS class $class on $ranks ranks, spares $spares${spare_hosts:+ on $spare_hosts}, rank $moving moves at iteration $iteration${target:+ ($variant: $from -> ${target#:})} (repetition $rep/$repeats; $((SECONDS - started)) s so far)"
        local job_started=$SECONDS rc=0 load1
        load1=$(cut -d' ' -f1 /proc/loadavg)
        MITTEN_SPARES=$spares MITTEN_SPARE_HOSTS=$spare_hosts mpi_job "$job_timeout" "$ranks" "${hostfile_args[@]}" "$IS" --class "$class" --migrate "$moving@$iteration$target" >"$TMP/migration.out" 2>"$TMP/migration.err" || rc=$?
        local job_s=$((SECONDS - job_started))
        if [ "$rc" -ne 0 ]; then
          failed_runs=$((failed_runs + 1))
          local why="exit code $rc"
          [ "$rc" -eq 124 ] && why="timeout after $job_timeout s"
          progress "run failed ($why):"
          { echo "rep=$rep ranks=$ranks variant=$variant: $why"; tail -5 "$TMP/migration.out" "$TMP/migration.err"; } | tee -a "$RESULTS/$files-failures.txt" >&2 || true
          cp "$TMP/migration.out" "$TMP/migration-failed-$ranks-$variant-$rep.out" 2>/dev/null || true
          cp "$TMP/migration.err" "$TMP/migration-failed-$ranks-$variant-$rep.err" 2>/dev/null || true
          continue
        fi
        local verified
        verified=$(grep -q '^RESULT .*verified=yes' "$TMP/migration.out" && echo yes || echo no)
        grep '^MIGRATION rank=' "$TMP/migration.out" | awk -v rep="$rep" -v c="$class" -v n="$ranks" -v v="$verified" -v variant="$variant" -v sp="$spares" -v js="$job_s" -v ld="$load1" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            s = f["synchronized_ms"]; y = ("spawned_ms" in f) ? f["spawned_ms"] : f["spare_taken_ms"]; r = f["restored_ms"]
            st = ("stopped_ms" in f) ? f["stopped_ms"] : s
            printf "%s,%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.1f\n", rep, c, n, f["rank"], f["iteration"], s, f["protocol_ms"],
              y - s, r - y, f["resumed_ms"], f["freeze_ms"], s, y, r, f["committed_ms"], f["resumed_ms"], f["state_bytes"], v, variant, f["from"], f["to"], sp, js, ld,
              ("spare_taken_ms" in f) ? "spare" : "spawn", st, f["resumed_ms"] - st
          }' >>"$raw"
        if grep -q '^MIGRATION rank=' "$TMP/migration.out"; then
          progress "  $(tail -1 "$raw" | awk -F, '{ printf "sync %s, protocol %s, %s %s, transfer %s, total %s, freeze %s ms (from the stop %s ms); verified %s; job %s s", $6, $7, ($25 == "spare" ? "take" : "spawn"), $8, $9, $10, $11, $27, $18, $23 }'); load $load1 at start"
        else
          progress "no migration was reported in this run"
        fi
      done
    done
  done

  local summary=$RESULTS/$files-summary.csv
  echo "ranks,runs,sync_ms,protocol_ms,spawn_ms,transfer_ms,commit_resume_ms,total_ms,freeze_ms,total_min_ms,total_max_ms,spawn_share_pct,state_bytes,verified,variant,spares" >"$summary"
  for variant in $variants; do
    for ranks in $ranks_list; do
      local sel runs
      sel=$(awk -F, -v n="$ranks" -v w="$variant" 'NR > 1 && $3 == n && $19 == w' "$raw")
      runs=$(printf '%s\n' "$sel" | grep -c . || true)
      local spares=${MITTEN_SPARES:-0}
      case "$variant" in spares*) spares=${variant#spares} ;; esac
      if [ "$runs" -eq 0 ]; then
        echo "$ranks,0,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,no,$variant,$spares" >>"$summary"
        continue
      fi
      col() { printf '%s\n' "$sel" | cut -d, -f"$1" | median; }
      local s p y z t f lo hi bytes verified
      s=$(col 6); p=$(col 7); y=$(col 8); z=$(col 9); t=$(col 10); f=$(col 11); bytes=$(col 17)
      lo=$(printf '%s\n' "$sel" | cut -d, -f10 | minimum)
      hi=$(printf '%s\n' "$sel" | cut -d, -f10 | maximum)
      verified=yes
      if printf '%s\n' "$sel" | cut -d, -f18 | grep -qv yes; then verified=no; fi
      # Membership management = synchronized .. resumed; the spawn share is spawn / that.
      # commit_resume is the median of the runs' resumed - restored (not a difference of medians).
      local cr
      cr=$(printf '%s\n' "$sel" | awk -F, '{ print $16 - $14 }' | median)
      awk -v n="$ranks" -v r="$runs" -v s="$s" -v p="$p" -v y="$y" -v z="$z" -v cr="$cr" -v t="$t" -v f="$f" -v lo="$lo" -v hi="$hi" -v b="$bytes" -v v="$verified" -v w="$variant" -v sp="$spares" \
        'BEGIN { printf "%s,%d,%.1f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%s,%s,%s\n", n, r, s, p, y, z, cr, t, f, lo, hi, (t > s ? 100 * y / (t - s) : 0), b, v, w, sp }' >>"$summary"
    done
  done
  {
    echo "migration: IS class $class, rank $moving moved at iteration $iteration, medians (ms since the request was seen; runs per rank count in 'runs'):"
    printf '%11s %6s %6s %5s %9s %11s %10s %11s %13s %9s %9s %15s %11s %9s\n' variant spares ranks runs sync protocol spawn/take transfer commit+resume total freeze total_min..max spawn_share verified
    awk -F, 'NR > 1 { printf "%11s %6s %6s %5s %9s %11s %10s %11s %13s %9s %9s %15s %10s%% %9s\n", $15, $16, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 ".." $11, $12, $14 }' "$summary"
  } >&2

  if [ "$sweep" -eq 1 ]; then
    # Growth per phase and variant, the log-log plot, and the one summary line (bench/Mitten/scaling.sh).
    migration_scaling_report "$raw" "$summary" "$class" "$ranks_list" "$variants" "$total" "$failed_runs"
    return
  fi

  # The plot and the summary line are of the last variant (local, or cross-host).
  local term last_ranks shown
  term=$(gnuplot_terminal)
  last_ranks=$(echo "$ranks_list" | awk '{ print $NF }')
  shown=$(echo "$variants" | awk '{ print $NF }')
  awk -F, -v w="$shown" 'NR == 1 || $15 == w' "$summary" >"$TMP/migration-plot.csv"
  gnuplot <<GNUPLOT
set terminal $term
set output '$RESULTS/$files.png'
set datafile separator ','
set title 'Migrating one rank of NAS IS class $class ($shown): phases (median of $repeats runs)'
set style data histograms
set style histogram rowstacked
set style fill solid 0.7 border -1
set boxwidth 0.6
set xlabel 'processes'
set ylabel 'ms since the request was seen'
set key outside right
set grid ytics
plot '$TMP/migration-plot.csv' every ::1 using 3:xticlabels(1) title 'synchronize', '' every ::1 using 5 title 'spawn replacement', '' every ::1 using 6 title 'move + restore state', '' every ::1 using 7 title 'rebuild group + resume'
GNUPLOT
  progress "wrote $raw, $summary, $RESULTS/$files.png"
  local last
  last=$(awk -F, -v n="$last_ranks" -v w="$shown" 'NR > 1 && $1 == n && $15 == w' "$summary")
  if [ "$hosts" -eq 0 ]; then
    local mg_fields
    mg_fields=$(migration_mg "$mg_class" "$mg_ranks" "$mg_moving" "$mg_iteration" "$repeats")
    echo "$last" | awk -F, -v mg="$mg_fields" -v spares="${MITTEN_SPARES:-0}" '{ printf "migration: ranks=%s spares=%s sync_ms=%s protocol_ms=%s spawn_ms=%s transfer_ms=%s total_ms=%s freeze_ms=%s transfer_MBps=nan %s\n", $1, spares, $3, $4, $5, $6, $8, $9, mg }'
    return
  fi
  # Cross-host against same-host (no MG part with --hosts): per repetition the ratio of the two totals (and spawns), then their median.
  local same ratio spawn_ratio
  same=$(awk -F, -v n="$last_ranks" 'NR > 1 && $1 == n && $15 == "same-host"' "$summary")
  pair_ratio() {
    awk -F, -v n="$last_ranks" -v c="$1" 'NR > 1 && $3 == n { t[$1 "," $19] = $c } END {
        for (k in t) { split(k, p, ","); o = p[1] ",same-host"; if (p[2] == "cross-host" && (o in t) && t[o] > 0) print t[k] / t[o] } }' "$raw" | median
  }
  ratio=$(pair_ratio 10)
  spawn_ratio=$(pair_ratio 8)
  local freeze_ratio protocol_ratio spares_run=${MITTEN_SPARES:-0} taken load
  freeze_ratio=$(pair_ratio 11)
  protocol_ratio=$(pair_ratio 7)
  # How many runs (both variants, last rank count) took a spare, and the load average at the runs' starts (median, range).
  taken=$(awk -F, -v n="$last_ranks" 'NR > 1 && $3 == n { k++; if ($25 == "spare") t++ } END { printf "%d/%d", t, k }' "$raw")
  load=$(awk -F, 'NR > 1 { print $24 }' "$raw" | median)
  load="$load($(awk -F, 'NR > 1 { print $24 }' "$raw" | minimum)..$(awk -F, 'NR > 1 { print $24 }' "$raw" | maximum))"
  # With spares, spawn_ms is the take (synchronized .. spare_taken); take_ms names it so.
  printf '%s\n%s\n' "$last" "$same" | awk -F, -v h="$hosts" -v r="$ratio" -v sr="$spawn_ratio" -v fr="$freeze_ratio" -v pr="$protocol_ratio" -v sp="$spares_run" -v tk="$taken" -v ld="$load" -v cl="$class" 'NR == 1 { split($0, x, ",") } NR == 2 { split($0, y, ",") }
    END {
      w = (sp > 0) ? "take" : "spawn"
      printf "migration: hosts=%s class=%s ranks=%s spares=%s sync_ms=%s protocol_ms=%s %s_ms=%s transfer_ms=%s commit_resume_ms=%s total_ms=%s freeze_ms=%s same_host_sync_ms=%s same_host_protocol_ms=%s same_host_%s_ms=%s same_host_transfer_ms=%s same_host_commit_resume_ms=%s same_host_total_ms=%s same_host_freeze_ms=%s cross_vs_same_total=%s cross_vs_same_freeze=%s cross_vs_same_protocol=%s cross_vs_same_%s=%s", h, cl, x[1], sp, x[3], x[4], w, x[5], x[6], x[7], x[8], x[9], y[3], y[4], w, y[5], y[6], y[7], y[8], y[9], r, fr, pr, w, sr
      if (sp > 0) printf " spare_taken=%s", tk
      printf " load1=%s\n", ld }'
}


# ---------------------------------------------------------------------------------------------
# NAS MG in the overhead and migration experiments (bench/MG). Kept apart from the IS and
# Mpptest parts: overhead() and migration() call these and append their figure to their line.
MG=bench/MG/bin/Release/net10.0/MG

# overhead_mg CLASSES RANKS REPEATS: MG plain and through Mitten alternating iteration by
# iteration in one job per class (MG --compare mitten --interleave, as IS), and the control
# (plain against plain on a duplicate communicator). Per class the figure is the geometric
# mean of the two layouts' median ratios mitten/plain per pair of timed iterations; mg_pct is
# their geometric mean over classes, minus 1. Writes overhead-mg-*.csv and prints mg_pct on stdout.
overhead_mg() {
  local classes=$1 ranks=$2 repeats=$3 class variant
  local ratios=$RESULTS/overhead-mg-ratios.csv summary=$RESULTS/overhead-mg-summary.csv
  echo "class,ranks,variant,rep,iteration,first,layout,plain_s,other_s,ratio" >"$ratios"
  local halo=$RESULTS/overhead-mg-halo.csv
  echo "class,ranks,level,plain_us_per_fill,mitten_us_per_fill,ratio,fills_per_iteration" >"$halo"
  echo "class,ranks,pairs,ratio,q1_ratio,q3_ratio,overhead_pct,median_layout0,median_layout1,control_ratio,control_pct,plain_median_s" >"$summary"
  for class in $classes; do
    for variant in mitten plain; do
      progress "MG class $class on $ranks ranks: $repeats repetitions, plain and $( [ "$variant" = mitten ] && echo Mitten || echo "plain-dup (control)") alternating iteration by iteration, one job"
      # Both variants yield the processor while they wait (Open MPI's mpi_yield_when_idle, which it
      # sets itself only when ranks outnumber cores; Mitten's waits yield after 64 polls): on this
      # shared, overloaded machine a spinning MPI_Wait otherwise loses to a yielding one by 10-20 %.
      if ! (export OMPI_MCA_mpi_yield_when_idle=1; mpi_job 1800 "$ranks" "$MG" --class "$class" --compare "$variant" --repeats "$repeats" --interleave) \
          >"$TMP/overhead-mg.out" 2>"$TMP/overhead-mg.err"; then
        tail -5 "$TMP/overhead-mg.out" "$TMP/overhead-mg.err" >&2 || true
        echo "overhead: error=mg-$variant-run-failed class=$class"
        exit 1
      fi
      if grep -q '^COMPARE .*verified=no' "$TMP/overhead-mg.out"; then
        echo "overhead: error=mg-verification-failed class=$class variant=$variant"
        exit 1
      fi
      # The exchange alone (MG measures it after the runs of --compare mitten): plain and Mitten per ghost fill.
      grep '^COMPARE_HALO ' "$TMP/overhead-mg.out" | awk '{
          for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
          printf "%s,%s,%s,%s,%s,%.4f,%s\n", f["class"], f["ranks"], f["level"], f["plain_us"], f["mitten_us"], f["mitten_us"] / f["plain_us"], f["fills_per_iteration"]
        }' >>"$halo"
      grep '^COMPARE_ITER ' "$TMP/overhead-mg.out" | grep -v ' rep=0 ' | awk -v c="$class" -v r="$ranks" -v var="$variant" '{
          for (i = 2; i <= NF; i++) { split($i, kv, "="); v[i] = kv[2] }
          printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.6f\n", c, r, var, v[2], v[3], v[4], v[5], v[6], v[7], v[7] / v[6]
        }' >>"$ratios"
    done
    local sel csel n fig cfig q1 q3 pm
    sel=$(awk -F, -v c="$class" 'NR > 1 && $1 == c && $3 == "mitten"' "$ratios")
    csel=$(awk -F, -v c="$class" 'NR > 1 && $1 == c && $3 == "plain"' "$ratios")
    n=$(printf '%s\n' "$sel" | grep -c . || true)
    [ "$n" -gt 0 ] || continue
    fig=$(printf '%s\n' "$sel" | cut -d, -f7,10 | mg_layout_figure)
    cfig=$(printf '%s\n' "$csel" | cut -d, -f7,10 | mg_layout_figure)
    q1=$(printf '%s\n' "$sel" | cut -d, -f10 | quantile 0.25)
    q3=$(printf '%s\n' "$sel" | cut -d, -f10 | quantile 0.75)
    pm=$(printf '%s\n' "$sel" | cut -d, -f8 | median)
    awk -v c="$class" -v r="$ranks" -v n="$n" -v f="$fig" -v cf="$cfig" -v q1="$q1" -v q3="$q3" -v pm="$pm" \
      'BEGIN { split(f, g, ","); split(cf, h, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f,%.4f,%.4f,%.2f,%.6f\n", c, r, n, g[1], q1, q3, (g[1] - 1) * 100, g[2], g[3], h[1], (h[1] - 1) * 100, pm }' >>"$summary"
  done
  {
    echo "overhead: MG, ratio Mitten/plain per pair of timed iterations (geometric mean of the two layouts' medians), and the control plain-dup/plain:"
    echo "overhead: MG, one ghost fill (the halo exchange of one grid) alone, least time over 20 alternating blocks:"
    awk -F, 'NR > 1 { printf "  MG class %s, %s ranks, level %s: plain %.3f us, Mitten %.3f us (ratio %.4f); %s fills per iteration\n", $1, $2, $3, $4, $5, $6, $7 }' "$halo"
    awk -F, 'NR > 1 { printf "  MG class %s, %s ranks: %.4f (layout medians %.4f, %.4f; quartiles %.4f..%.4f; %s pairs) -> %+.2f%%; control %.4f -> %+.2f%%; plain %.4f s per iteration (median)\n", $1, $2, $4, $8, $9, $5, $6, $3, $7, $10, $11, $12 }' "$summary"
  } >&2
  awk -F, 'NR > 1 { n++; s += log($4) } END { if (n == 0) print "nan"; else printf "%.2f\n", (exp(s / n) - 1) * 100 }' "$summary"
}

# mg_layout_figure: from "layout,ratio" lines, the geometric mean of the two layouts' median ratios (and both medians).
mg_layout_figure() {
  local data m0 m1
  data=$(cat)
  m0=$(printf '%s\n' "$data" | awk -F, '$1 == 0 { print $2 }' | median)
  m1=$(printf '%s\n' "$data" | awk -F, '$1 == 1 { print $2 }' | median)
  awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.6f,%.6f,%.6f\n", sqrt(a * b), a, b }'
}

# migration_mg CLASS RANKS MOVING ITERATION REPEATS: MG migrating rank MOVING (requested at the
# migration point of ITERATION, carried out at the group's next one), REPEATS times; phase
# medians. Writes migration-mg.csv and migration-mg-summary.csv; prints the key=value fields for
# the migration line on stdout.
migration_mg() {
  local class=$1 ranks=$2 moving=$3 iteration=$4 repeats=$5 rep
  local raw=$RESULTS/migration-mg.csv
  echo "rep,class,ranks,moved_rank,iteration,synchronized_ms,spawned_ms,state_sent_ms,restored_ms,committed_ms,resumed_ms,freeze_ms,protocol_ms,state_bytes,verified,rnm2" >"$raw"
  for rep in $(seq 1 "$repeats"); do
    progress "[$rep/$repeats] MG class $class on $ranks ranks, rank $moving asks to move at iteration $iteration"
    if ! mpi_job 900 "$ranks" "$MG" --class "$class" --migrate "$moving@$iteration" >"$TMP/migration-mg.out" 2>"$TMP/migration-mg.err"; then
      progress "run failed:"
      tail -5 "$TMP/migration-mg.out" "$TMP/migration-mg.err" >&2 || true
      continue
    fi
    local verified rnm2
    verified=$(grep -q '^RESULT .*verified=yes' "$TMP/migration-mg.out" && echo yes || echo no)
    rnm2=$(sed -n 's/^RESULT .* rnm2=\([^ ]*\).*/\1/p' "$TMP/migration-mg.out")
    grep '^MIGRATION rank=' "$TMP/migration-mg.out" | awk -v rep="$rep" -v c="$class" -v n="$ranks" -v v="$verified" -v x="$rnm2" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", rep, c, n, f["rank"], f["iteration"], f["synchronized_ms"], ("spawned_ms" in f) ? f["spawned_ms"] : f["spare_taken_ms"],
          f["state_sent_ms"], f["restored_ms"], f["committed_ms"], f["resumed_ms"], f["freeze_ms"], f["protocol_ms"], f["state_bytes"], v, x
      }' >>"$raw"
    grep -q '^MIGRATION rank=' "$TMP/migration-mg.out" || progress "no migration was reported in this run"
  done
  local summary=$RESULTS/migration-mg-summary.csv
  echo "class,ranks,runs,sync_ms,spawn_ms,state_transfer_ms,restore_ms,commit_resume_ms,total_ms,freeze_ms,total_min_ms,total_max_ms,protocol_ms,state_bytes,verified" >"$summary"
  local runs
  runs=$(awk 'NR > 1' "$raw" | grep -c . || true)
  if [ "$runs" -eq 0 ]; then
    echo "$class,$ranks,0,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,no" >>"$summary"
  else
    mgcol() { awk -F, -v k="$1" 'NR > 1 { print $k }' "$raw" | median; }
    local s y t r c u f p b lo hi verified=yes
    s=$(mgcol 6); y=$(mgcol 7); t=$(mgcol 8); r=$(mgcol 9); c=$(mgcol 10); u=$(mgcol 11); f=$(mgcol 12); p=$(mgcol 13); b=$(mgcol 14)
    lo=$(awk -F, 'NR > 1 { print $11 }' "$raw" | minimum)
    hi=$(awk -F, 'NR > 1 { print $11 }' "$raw" | maximum)
    if awk -F, 'NR > 1 { print $15 }' "$raw" | grep -qv yes || [ "$(awk -F, 'NR > 1 { print $16 }' "$raw" | sort -u | wc -l)" -ne 1 ]; then verified=no; fi
    awk -v cl="$class" -v n="$ranks" -v k="$runs" -v s="$s" -v y="$y" -v t="$t" -v r="$r" -v c="$c" -v u="$u" -v f="$f" -v lo="$lo" -v hi="$hi" -v p="$p" -v b="$b" -v v="$verified" \
      'BEGIN { printf "%s,%s,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.3f,%d,%s\n", cl, n, k, s, y - s, t - y, r - t, u - r, u, f, lo, hi, p, b, v }' >>"$summary"
  fi
  {
    echo "migration: MG class $class on $ranks ranks, rank $moving moved, medians over $runs runs (ms since the request was seen):"
    awk -F, 'NR > 1 { printf "  sync %s, spawn %s, state transfer %s, restore %s, commit+resume %s: total %s (range %s..%s), freeze %s, protocol %s; state %.2f MB; verified (same rnm2 every run) %s\n", $4, $5, $6, $7, $8, $9, $11, $12, $10, $13, $14 / 1e6, $15 }' "$summary"
    echo "  (SNOW, NAS MG 128^3 on 8 processes: 2290 ms = coordinate 117 + collect 730 + transmit 760 + restore 680, 7.5 MB)"
  } >&2
  awk -F, 'NR > 1 { printf "mg_class=%s mg_ranks=%s mg_total_ms=%s mg_freeze_ms=%s mg_state_mb=%.2f mg_verified=%s\n", $1, $2, $9, $10, $14 / 1e6, $15 }' "$summary"
}

"$NAME" "$@"
