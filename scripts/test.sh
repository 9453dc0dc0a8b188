#!/usr/bin/env bash
# Sets up what is missing, builds, runs every test (real mpiexec jobs), and ends with
# the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
if ! scripts/setup.sh; then
  echo "0 passed, 1 failed"
  exit 1
fi
log=$(mktemp)
dotnet test Mitten.sln -m:1 -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" | grep -E "^\s+(Passed|Failed|Skipped) |^\s*(Failed|Passed)!|error" 
status=${PIPESTATUS[0]}
passed=$(grep -Eo "Passed:\s+[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo "Failed:\s+[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the runner itself failed (build, crash, no tests)
fi
# The packages as a user gets them: pack, local feed, template, a project from scratch, a
# migration under mitten (scripts/package-test.sh; one test). MITTEN_SKIP_PACKAGE_TEST=1 skips it.
if [ "${MITTEN_SKIP_PACKAGE_TEST:-0}" != 1 ] && [ $# -eq 0 ]; then
  if scripts/package-test.sh >>"$log" 2>&1; then
    echo "    Passed scripts/package-test.sh"
    passed=$((passed + 1))
  else
    echo "    Failed scripts/package-test.sh"
    grep -E "package-test: FAILED" "$log" | tail -1
    failed=$((failed + 1))
  fi
fi
if [ "$failed" -gt 0 ]; then
  echo "--- failure details ---"
  grep -E -A 25 "^\s+Failed |Error Message:" "$log" | grep -v -E "^\s+at (System|Xunit|InvokeStub)" | head -200
fi
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
