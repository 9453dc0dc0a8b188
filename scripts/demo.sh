#!/usr/bin/env bash
# The README's main job: NAS IS class W on 4 ranks under mpiexec, through Mitten, migrating
# rank 2 at iteration 4 and rank 0 at iteration 7 while the others keep running.
# Prints the IS report (with the verification line) and one timeline per migration, in
# milliseconds since the request was seen (signal). Exit 0 only if verification succeeded.
#   scripts/demo.sh [--hosts N] [extra IS options, e.g. --class A]
# --hosts N (N >= 2, root): the 4 ranks run over N namespace test hosts (scripts/hosts.sh,
# brought up for the demo and removed after it, unless they were up already), 2 per host: rank 1
# leaves h1 for h2 at iteration 4 and rank 2 leaves h2 for h1 at iteration 7, each over the
# network between the hosts.
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
hosts=0
if [ "${1:-}" = "--hosts" ]; then
  hosts=${2:?--hosts needs a number}
  shift 2
fi
out=$(mktemp)
cleanup() { rm -f "$out" "${hostfile:-}"; }
trap cleanup EXIT
host_args=()
if [ "$hosts" -gt 0 ]; then
  [ "$hosts" -ge 2 ] || { echo "demo: --hosts needs at least 2" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || { echo "demo: --hosts needs root (network namespaces)" >&2; exit 1; }
  state=${MITTEN_HOSTS_STATE:-/tmp/mitten-hosts}
  if [ ! -f "$state/hostfile" ] || [ "$(wc -l <"$state/hostfile")" -lt "$hosts" ]; then
    trap 'cleanup; bash scripts/hosts.sh down' EXIT
    bash scripts/hosts.sh up "$hosts"
  fi
  eval "$(bash scripts/hosts.sh env)"
  hostfile=$(mktemp)
  for h in $(seq 1 "$hosts"); do echo "h$h slots=2"; done >"$hostfile"
  host_args=(--hostfile "$hostfile")
  echo "demo: hosts: $(tr '\n' ' ' <"$hostfile")(network namespaces on this machine; ranks 0,1 on h1, 2,3 on h2)"
  args=(--class W --migrate 1@4:h2 --migrate 2@7:h1 "$@")
else
  args=(--class W --migrate 2@4 --migrate 0@7 "$@")
fi

mpiexec_cmd=(mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 "${host_args[@]}" -n "$ranks" "$program" "${args[@]}")
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
      a = f["from"]; b = f["to"]
      printf "    %-14s %9s ms   on %s\n", "signal", "0.0", a
      printf "    %-14s %9s ms   on %s (the whole group)\n", "synchronized", f["synchronized_ms"], a
      printf "    %-14s %9s ms   new process on %s\n", "spawned", f["spawned_ms"], b
      printf "    %-14s %9s ms   %s -> %s (%s bytes of state)\n", "state moved", f["restored_ms"], a, b, f["state_bytes"]
      printf "    %-14s %9s ms   on %s\n", "resumed", f["resumed_ms"], b
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
