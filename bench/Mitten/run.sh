#!/usr/bin/env bash
# Mitten experiments (patent 002, Figs. 11-13). Usually run through scripts/bench.sh.
#
#   bench/Mitten/run.sh overhead  [--repeats R (100)] [--is-classes "A W"] [--is-ranks N (2)]
#                                 [--mpptest-rounds M (15)] [--collective-ranks N (2)] [--measurements T (10)] [--quick]
#       NAS IS and the Mpptest-style patterns on the plain binding and through Mitten,
#       alternating in one job (IS: R repetitions after a warm-up one, each with fresh states,
#       the two variants alternating iteration by iteration, which goes first alternating too;
#       Mpptest: per size and measurement). IS: two states serve all repetitions and swap
#       variants each repetition (layout 0/1); per class, the geometric mean of the two layouts'
#       median ratios mitten time / plain time; is_pct = their geometric mean over classes,
#       minus 1. Mpptest: point-to-point and collectives on 2 ranks (not oversubscribed; 4 ranks
#       on 2 cores measures time-sharing), M rounds; mpptest_pct = geometric mean over patterns
#       and sizes of the per-size median over rounds of the ratio of the minima, minus 1. Both
#       also run a control (plain against plain on a duplicate communicator, the same way) to
#       show the comparison's own noise floor.
#       Ends with "overhead: is_pct=X mpptest_pct=Y".
#   bench/Mitten/run.sh migration [--repeats R (5)] [--ranks "2 4 8"] [--class A] [--rank K (1)] [--iteration I (5)] [--hosts H]
#       IS migrating rank K at iteration I, R times per rank count; phase medians per rank count.
#       Ends with "migration: ranks=8 sync_ms=S protocol_ms=P spawn_ms=Y transfer_ms=Z total_ms=T freeze_ms=F".
#       --hosts H (root): over H namespace test hosts (scripts/hosts.sh; brought up, and down at the
#       end, when not up already), each repetition moving rank K to the host it is on (same-host)
#       and to the next host (cross-host), alternating which goes first. The phases are the
#       cross-host medians; the line adds hosts=H same_host_total_ms same_host_spawn_ms
#       cross_vs_same_total cross_vs_same_spawn (medians of the per-repetition ratios).
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
  *) sed -n '2,26p' "$0" >&2; exit 2 ;;
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
  for project in bench/IS/IS.csproj bench/Mpptest/Mpptest.csproj; do
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

gnuplot_terminal() {
  if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then echo "pngcairo size 900,600 font ',10'"; else echo "png size 900,600"; fi
}

# ---------------------------------------------------------------------------------------------
overhead() {
  local repeats=100 classes="A W" is_ranks=2 rounds=15 measurements=10 collective_ranks=2 quick=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeats) repeats=$2; shift 2 ;;
      --is-classes) classes=$2; shift 2 ;;
      --is-ranks) is_ranks=$2; shift 2 ;;
      --mpptest-rounds) rounds=$2; shift 2 ;;
      --collective-ranks) collective_ranks=$2; shift 2 ;;
      --measurements) measurements=$2; shift 2 ;;
      --quick) quick=(--quick); shift ;;
      *) echo "overhead: unknown option $1" >&2; exit 2 ;;
    esac
  done
  build

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
    if ! mpi_job 1800 "$is_ranks" "$IS" --class "$1" --compare "$2" --repeats "$repeats" --interleave >"$3.out" 2>"$3.err"; then
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
    progress "IS class $class on $is_ranks ranks: $repeats repetitions, plain and Mitten alternating iteration by iteration, one job"
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
  local repeats=5 ranks_list="2 4 8" class=A moving=1 iteration=5 hosts=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeats) repeats=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --class) class=$2; shift 2 ;;
      --rank) moving=$2; shift 2 ;;
      --iteration) iteration=$2; shift 2 ;;
      --hosts) hosts=$2; shift 2 ;;
      *) echo "migration: unknown option $1" >&2; exit 2 ;;
    esac
  done
  build
  # --hosts H: the ranks run over H namespace test hosts (scripts/hosts.sh), spread evenly
  # (slots = ceil(N / H) per host), and every repetition runs two variants, alternating which
  # goes first: rank K moves to the host it is on (same-host) and to the next host (cross-host).
  # Without --hosts: one variant on this machine (local), as before.
  local variants="local"
  if [ "$hosts" -gt 0 ]; then
    [ "$hosts" -ge 2 ] || { echo "migration: error=hosts-needs-at-least-2"; exit 2; }
    [ "$(id -u)" -eq 0 ] || { echo "migration: error=hosts-needs-root"; exit 1; }
    local state=${MITTEN_HOSTS_STATE:-/tmp/mitten-hosts}
    if [ ! -f "$state/hostfile" ] || [ "$(wc -l <"$state/hostfile")" -lt "$hosts" ]; then
      trap 'bash scripts/hosts.sh down' EXIT
      bash scripts/hosts.sh up "$hosts" >&2 || { echo "migration: error=hosts-up-failed"; exit 1; }
    fi
    eval "$(bash scripts/hosts.sh env)"
    variants="same-host cross-host"
  fi
  local raw=$RESULTS/migration.csv
  echo "rep,class,ranks,moved_rank,iteration,sync_ms,protocol_ms,spawn_ms,transfer_ms,total_ms,freeze_ms,synchronized_ms,spawned_ms,restored_ms,committed_ms,resumed_ms,state_bytes,verified,variant,from,to" >"$raw"
  local total=0 done_runs=0 rep ranks variant nvariants
  nvariants=$(echo "$variants" | wc -w)
  for ranks in $ranks_list; do total=$((total + repeats * nvariants)); done
  for rep in $(seq 1 "$repeats"); do
    for ranks in $ranks_list; do
      local order=$variants hostfile_args=() from="" to=""
      if [ "$hosts" -gt 0 ]; then
        local slots=$(( (ranks + hosts - 1) / hosts )) h
        : >"$TMP/migration-hostfile"
        for h in $(seq 1 "$hosts"); do echo "h$h slots=$slots" >>"$TMP/migration-hostfile"; done
        hostfile_args=(--hostfile "$TMP/migration-hostfile")
        from=h$(( moving / slots + 1 ))
        to=h$(( (moving / slots + 1) % hosts + 1 ))
        [ $((rep % 2)) -eq 0 ] && order="cross-host same-host"
      fi
      for variant in $order; do
        done_runs=$((done_runs + 1))
        local target=""
        case "$variant" in
          same-host) target=":$from" ;;
          cross-host) target=":$to" ;;
        esac
        progress "[$done_runs/$total] IS class $class on $ranks ranks, rank $moving moves at iteration $iteration${target:+ ($variant: $from -> ${target#:})} (repetition $rep/$repeats)"
        if ! mpi_job 900 "$ranks" "${hostfile_args[@]}" "$IS" --class "$class" --migrate "$moving@$iteration$target" >"$TMP/migration.out" 2>"$TMP/migration.err"; then
          progress "run failed:"
          tail -5 "$TMP/migration.out" "$TMP/migration.err" >&2 || true
          continue
        fi
        local verified
        verified=$(grep -q '^RESULT .*verified=yes' "$TMP/migration.out" && echo yes || echo no)
        grep '^MIGRATION rank=' "$TMP/migration.out" | awk -v rep="$rep" -v c="$class" -v n="$ranks" -v v="$verified" -v variant="$variant" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            s = f["synchronized_ms"]; y = f["spawned_ms"]; r = f["restored_ms"]
            printf "%s,%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", rep, c, n, f["rank"], f["iteration"], s, f["protocol_ms"],
              y - s, r - y, f["resumed_ms"], f["freeze_ms"], s, y, r, f["committed_ms"], f["resumed_ms"], f["state_bytes"], v, variant, f["from"], f["to"]
          }' >>"$raw"
        grep -q '^MIGRATION rank=' "$TMP/migration.out" || progress "no migration was reported in this run"
      done
    done
  done

  local summary=$RESULTS/migration-summary.csv
  echo "ranks,runs,sync_ms,protocol_ms,spawn_ms,transfer_ms,commit_resume_ms,total_ms,freeze_ms,total_min_ms,total_max_ms,spawn_share_pct,state_bytes,verified,variant" >"$summary"
  for variant in $variants; do
    for ranks in $ranks_list; do
      local sel runs
      sel=$(awk -F, -v n="$ranks" -v w="$variant" 'NR > 1 && $3 == n && $19 == w' "$raw")
      runs=$(printf '%s\n' "$sel" | grep -c . || true)
      if [ "$runs" -eq 0 ]; then
        echo "$ranks,0,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,no,$variant" >>"$summary"
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
      awk -v n="$ranks" -v r="$runs" -v s="$s" -v p="$p" -v y="$y" -v z="$z" -v t="$t" -v f="$f" -v lo="$lo" -v hi="$hi" -v b="$bytes" -v v="$verified" -v w="$variant" \
        'BEGIN { printf "%s,%d,%.1f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%s,%s\n", n, r, s, p, y, z, t - s - y - z, t, f, lo, hi, (t > s ? 100 * y / (t - s) : 0), b, v, w }' >>"$summary"
    done
  done
  {
    echo "migration: IS class $class, rank $moving moved at iteration $iteration, medians over $repeats runs (ms since the request was seen):"
    printf '%11s %6s %5s %9s %11s %9s %11s %13s %9s %9s %15s %11s %9s\n' variant ranks runs sync protocol spawn transfer commit+resume total freeze total_min..max spawn_share verified
    awk -F, 'NR > 1 { printf "%11s %6s %5s %9s %11s %9s %11s %13s %9s %9s %15s %10s%% %9s\n", $15, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 ".." $11, $12, $14 }' "$summary"
  } >&2

  # The plot and the summary line are of the last variant (local, or cross-host).
  local term last_ranks shown
  term=$(gnuplot_terminal)
  last_ranks=$(echo "$ranks_list" | awk '{ print $NF }')
  shown=$(echo "$variants" | awk '{ print $NF }')
  awk -F, -v w="$shown" 'NR == 1 || $15 == w' "$summary" >"$TMP/migration-plot.csv"
  gnuplot <<EOF
set terminal $term
set output '$RESULTS/migration.png'
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
EOF
  progress "wrote $raw, $summary, $RESULTS/migration.png"
  local last
  last=$(awk -F, -v n="$last_ranks" -v w="$shown" 'NR > 1 && $1 == n && $15 == w' "$summary")
  if [ "$hosts" -eq 0 ]; then
    echo "$last" | awk -F, '{ printf "migration: ranks=%s sync_ms=%s protocol_ms=%s spawn_ms=%s transfer_ms=%s total_ms=%s freeze_ms=%s\n", $1, $3, $4, $5, $6, $8, $9 }'
    return
  fi
  # Cross-host against same-host: per repetition the ratio of the two totals (and spawns), then their median.
  local same ratio spawn_ratio
  same=$(awk -F, -v n="$last_ranks" 'NR > 1 && $1 == n && $15 == "same-host"' "$summary")
  pair_ratio() {
    awk -F, -v n="$last_ranks" -v c="$1" 'NR > 1 && $3 == n { t[$1 "," $19] = $c } END {
        for (k in t) { split(k, p, ","); o = p[1] ",same-host"; if (p[2] == "cross-host" && (o in t) && t[o] > 0) print t[k] / t[o] } }' "$raw" | median
  }
  ratio=$(pair_ratio 10)
  spawn_ratio=$(pair_ratio 8)
  printf '%s\n%s\n' "$last" "$same" | awk -F, -v h="$hosts" -v r="$ratio" -v sr="$spawn_ratio" 'NR == 1 { split($0, x, ",") } NR == 2 { split($0, y, ",") }
    END { printf "migration: hosts=%s ranks=%s sync_ms=%s protocol_ms=%s spawn_ms=%s transfer_ms=%s total_ms=%s freeze_ms=%s same_host_total_ms=%s same_host_spawn_ms=%s cross_vs_same_total=%s cross_vs_same_spawn=%s\n", h, x[1], x[3], x[4], x[5], x[6], x[8], x[9], y[8], y[5], r, sr }'
}

"$NAME" "$@"
