#!/usr/bin/env bash
# The README's main job: NAS IS class W on 4 ranks under mpiexec, through Mitten, migrating
# rank 2 at iteration 4 and rank 0 at iteration 7 while the others keep running.
# Prints the IS report (with the verification line) and one timeline per migration, in
# milliseconds since the request was seen (signal). Exit 0 only if verification succeeded.
#   scripts/demo.sh [extra IS options, e.g. --class A]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export TERM=dumb   # .NET prints terminal mode sequences into the output when TERM is a terminal

scripts/setup.sh
# setup.sh builds the solution only when its build is missing pieces; make sure IS is current.
dotnet build bench/IS/IS.csproj -c Release -v quiet -nologo -clp:NoSummary >/dev/null 2>&1 \
  || { echo "demo: building bench/IS failed" >&2; dotnet build bench/IS/IS.csproj -c Release -nologo 2>&1 | grep -E "error" | sort -u >&2; exit 1; }

program=bench/IS/bin/Release/net10.0/IS
ranks=4
args=(--class W --migrate 2@4 --migrate 0@7 "$@")
out=$(mktemp)
trap 'rm -f "$out"' EXIT

mpiexec_cmd=(mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" "$program" "${args[@]}")
echo "demo: ${mpiexec_cmd[*]}"
# Other MPI jobs on this machine (tests, benchmarks) take the same lock; wait for them.
status=0
if command -v flock >/dev/null 2>&1; then
  flock /tmp/mitten-mpi-jobs.lock timeout 600 "${mpiexec_cmd[@]}" >"$out" 2>&1 || status=$?
else
  timeout 600 "${mpiexec_cmd[@]}" >"$out" 2>&1 || status=$?
fi

# The IS report (everything but the migration lines), then the timelines.
grep -v '^MIGRATION ' "$out" | grep -v '^RESULT ' || true
echo
echo " Migrations (ms since the request was seen by the moving rank):"
found=0
while IFS= read -r line; do
  found=$((found + 1))
  awk -v line="$line" 'BEGIN {
      n = split(line, parts, " ")
      for (i = 2; i <= n; i++) { split(parts[i], kv, "="); f[kv[1]] = kv[2] }
      printf "  rank %s (moved at iteration %s, %s -> %s, %s):\n", f["rank"], f["iteration"], f["from"], f["to"], f["outcome"]
      printf "    %-14s %9s ms\n", "signal", "0.0"
      printf "    %-14s %9s ms\n", "synchronized", f["synchronized_ms"]
      printf "    %-14s %9s ms\n", "spawned", f["spawned_ms"]
      printf "    %-14s %9s ms   (%s bytes of state)\n", "state moved", f["restored_ms"], f["state_bytes"]
      printf "    %-14s %9s ms\n", "resumed", f["resumed_ms"]
      printf "    frozen %s ms; protocol itself %s ms\n", f["freeze_ms"], f["protocol_ms"]
    }'
done < <(grep '^MIGRATION rank=' "$out")
[ "$found" -gt 0 ] || echo "  (none reported)"

if [ "$status" -ne 0 ]; then
  echo "demo: mpiexec exited with status $status" >&2
fi
if [ "$status" -eq 0 ] && grep -Eq '^ Verification += +SUCCESSFUL$' "$out"; then
  echo "demo: verification SUCCESSFUL with $found migration(s)"
  exit 0
fi
echo "demo: verification did not succeed" >&2
exit 1
