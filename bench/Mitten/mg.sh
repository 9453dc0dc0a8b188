# Sourced by bench/Mitten/run.sh (its helpers, globals and the checkout root as working directory):
# NAS MG in both experiments.

# ---------------------------------------------------------------------------------------------
# NAS MG in the overhead and migration experiments (bench/MG). Kept apart from the IS and
# Mpptest parts: overhead() and migration() call these and append their figure to their line.
MG=bench/MG/bin/Release/net10.0/MG

# overhead_mg CLASSES RANKS REPEATS: MG plain and through Mitten alternating iteration by
# iteration in one job per class (MG --compare mitten --interleave, as IS), and the control
# (plain against plain on a duplicate communicator). Per class the figure is the geometric
# mean of the two layouts' median ratios mitten/plain per block of two consecutive pairs of timed
# iterations (crossover_figure, bench/Mitten/figures.sh); mg_pct is
# their geometric mean over classes, minus 1. Writes overhead-mg-*.csv and prints mg_pct on stdout.
overhead_mg() {
  local classes=$1 ranks=$2 repeats=$3 class variant
  local ratios=$RESULTS/overhead-mg-ratios.csv summary=$RESULTS/overhead-mg-summary.csv
  echo "class,ranks,variant,rep,iteration,first,layout,plain_s,other_s,ratio" >"$ratios"
  local halo=$RESULTS/overhead-mg-halo.csv
  echo "class,ranks,level,plain_us_per_fill,mitten_us_per_fill,ratio,fills_per_iteration" >"$halo"
  echo "class,ranks,pairs,ratio,q1_ratio,q3_ratio,overhead_pct,block_median_layout0,block_median_layout1,control_ratio,control_pct,plain_median_s" >"$summary"
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
    fig=$(printf '%s\n' "$sel" | cut -d, -f4,5,7,8,9 | crossover_figure)
    cfig=$(printf '%s\n' "$csel" | cut -d, -f4,5,7,8,9 | crossover_figure)
    q1=$(printf '%s\n' "$sel" | cut -d, -f10 | quantile 0.25)
    q3=$(printf '%s\n' "$sel" | cut -d, -f10 | quantile 0.75)
    pm=$(printf '%s\n' "$sel" | cut -d, -f8 | median)
    awk -v c="$class" -v r="$ranks" -v n="$n" -v f="$fig" -v cf="$cfig" -v q1="$q1" -v q3="$q3" -v pm="$pm" \
      'BEGIN { split(f, g, ","); split(cf, h, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f,%.4f,%.4f,%.2f,%.6f\n", c, r, n, g[1], q1, q3, (g[1] - 1) * 100, g[2], g[3], h[1], (h[1] - 1) * 100, pm }' >>"$summary"
  done
  {
    echo "overhead: MG, ratio Mitten/plain per pair of timed iterations (per block of two pairs, the ratio of the sums; geometric mean of the two layouts' median block ratios), and the control plain-dup/plain:"
    echo "overhead: MG, one ghost fill (the halo exchange of one grid) alone, least time over 20 alternating blocks:"
    awk -F, 'NR > 1 { printf "  MG class %s, %s ranks, level %s: plain %.3f us, Mitten %.3f us (ratio %.4f); %s fills per iteration\n", $1, $2, $3, $4, $5, $6, $7 }' "$halo"
    awk -F, 'NR > 1 { printf "  MG class %s, %s ranks: %.4f (layout median block ratios %.4f, %.4f; quartiles %.4f..%.4f; %s pairs) -> %+.2f%%; control %.4f -> %+.2f%%; plain %.4f s per iteration (median)\n", $1, $2, $4, $8, $9, $5, $6, $3, $7, $10, $11, $12 }' "$summary"
  } >&2
  awk -F, 'NR > 1 { n++; s += log($4) } END { if (n == 0) print "nan"; else printf "%.2f\n", (exp(s / n) - 1) * 100 }' "$summary"
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
