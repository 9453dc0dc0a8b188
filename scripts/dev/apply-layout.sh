#!/usr/bin/env bash
# Applies issue 14's layout to the tree it is run in (the repository root is found from this
# script's place), so the rename can land after the other branches have merged:
#   1. src/<X> -> src/<assembly name>/<assembly name>.csproj (Runtime -> Mitten.Cli; the tool
#      command stays `mitten`), every reference fixed by pattern (sln, csproj, scripts, docs, code).
#   2. tests/Mitten.Tests split into one test project per library (unit tests beside the mpiexec
#      tests), the helpers several projects use in tests/Shared (compiled into each project as
#      linked files), all in Mitten.sln; scripts/test.sh runs the projects one after another.
#   3. The docs' layout description names the new folders.
# Idempotent: a second run changes nothing. Moves whole folders (git mv, so history follows), so
# files added to the old folders since the script was written move too. Does not commit.
# Usage: scripts/dev/apply-layout.sh      then: dotnet build Mitten.sln -c Release; git status
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f Mitten.sln ] || { echo "apply-layout: no Mitten.sln here ($PWD)" >&2; exit 1; }
self=scripts/dev/apply-layout.sh

run() { echo "+ $*"; "$@"; }

# perl -pi over the tracked text files (not this script, not measured data under bench/results)
# that match a Perl regex; only files that match are rewritten.
fix() { # fix PERL-REGEX PERL-SUBSTITUTION [path-filter-regex]
  local find=$1 subst=$2 only=${3:-.}
  local files
  files=$(git grep -lIP "$find" -- '*.md' '*.cs' '*.csproj' '*.props' '*.targets' '*.sln' '*.sh' \
            '*.json' '*.yml' '*.yaml' '*.runsettings' 'scripts/*' '.ci/*' \
          | sort -u | grep -v -e "^$self\$" -e '^bench/results/' | grep -E "$only" || true)
  [ -z "$files" ] && return 0
  echo "+ perl -pi -e '$subst' $(echo "$files" | tr '\n' ' ')"
  echo "$files" | while IFS= read -r f; do perl -pi -e "$subst" "$f"; done
}

echo "== 1. project folders and project files named after their assemblies"
# old folder : new folder (= assembly name, except the tool whose assembly is `mitten`)
projects="GroupComm:Mitten.GroupComm Checkpoint:Mitten.Checkpoint Checkpoint.Generators:Mitten.Checkpoint.Generators ControlDirectory:Mitten.ControlDirectory Runtime:Mitten.Cli"
for pair in $projects; do
  old=${pair%%:*} new=${pair##*:}
  if [ -d "src/$old" ] && [ -n "$(git ls-files "src/$old")" ]; then
    if [ -e "src/$new" ]; then
      # Left-overs of a build of the new layout (bin/obj only) would block the move.
      [ -z "$(git ls-files "src/$new")" ] || { echo "apply-layout: both src/$old and src/$new are tracked" >&2; exit 1; }
      run rm -rf "src/$new"
    fi
    run git mv "src/$old" "src/$new"
  fi
  if [ -f "src/$new/$old.csproj" ]; then
    run git mv "src/$new/$old.csproj" "src/$new/$new.csproj"
  fi
done
echo "-- references to the moved projects"
for pair in $projects; do
  old=${pair%%:*} new=${pair##*:}
  qold=$(printf '%s' "$old" | sed 's/\./\\./g')
  # X/X.csproj anywhere (sln with backslashes, ProjectReference ../X/X.csproj, scripts)
  fix "(?<![\\w.])$qold([\\/\\\\])$qold\\.csproj" "s{(?<![\\w.])$qold([\\/\\\\])$qold\\.csproj}{$new\$1$new.csproj}g"
  # src/X as a path (src/Checkpoint but not src/Checkpoint.Generators; 'src/Checkpoint.' at a sentence end is a path)
  fix "src[\\/\\\\]$qold(?!\\w|\\.\\w)" "s{(src[\\/\\\\])$qold(?!\\w|\\.\\w)}{\$1$new}g"
  # ../X/ inside src (Checkpoint.csproj packs ../Checkpoint.Generators/bin/...)
  fix "\\.\\.\\/$qold\\/" "s{\\.\\.\\/$qold\\/}{../$new/}g" '^src/'
  # Path.Combine(..., "src", "X", ...) in code
  fix "\"src\", \"$qold\"" "s{\"src\", \"$qold\"}{\"src\", \"$new\"}g" '\.cs$'
  # the project's display name in Mitten.sln
  fix "= \"$qold\", \"src\\\\$new\\\\" "s{= \"$qold\", \"src\\\\$new\\\\}{= \"$new\", \"src\\\\$new\\\\}g" '\.sln$'
done

echo "== 2. one test project per library, unit tests beside the mpiexec tests"
# old subfolder of tests/Mitten.Tests : new test project (Mitten and Hosts stay in Mitten.Tests)
tests_split="GroupComm:Mitten.GroupComm.Tests Checkpoint:Mitten.Checkpoint.Tests ControlDirectory:Mitten.ControlDirectory.Tests Runtime:Mitten.Cli.Tests Bench:Mitten.Bench.Tests"
t=tests/Mitten.Tests
# Helpers several projects use: the MPI job harness (Support/*) and the `mitten` command runner
# (Runtime/MittenCli.cs: used by Runtime and Hosts tests). tests/Shared is no project: each test
# project compiles it in (linked files), so each test assembly has its own copy (and the
# [assembly: CollectionBehavior(DisableTestParallelization = true)] of MpiJob.cs).
shared=tests/Shared
if [ -d "$t/Support" ] && [ -n "$(git ls-files "$t/Support")" ]; then
  run mkdir -p "$shared"
  for f in "$t"/Support/*; do run git mv "$f" "$shared/"; done
  rmdir "$t/Support" 2>/dev/null || true
fi
if [ -f "$t/Runtime/MittenCli.cs" ]; then
  run git mv "$t/Runtime/MittenCli.cs" "$shared/MittenCli.cs"
fi
# The Mitten library's own tests: tests/Mitten.Tests/Mitten/* -> tests/Mitten.Tests/*
if [ -d "$t/Mitten" ] && [ -n "$(git ls-files "$t/Mitten")" ]; then
  for f in "$t"/Mitten/*; do run git mv "$f" "$t/"; done
  rmdir "$t/Mitten" 2>/dev/null || true
fi
for pair in $tests_split; do
  old=${pair%%:*} new=${pair##*:}
  if [ -d "$t/$old" ] && [ -n "$(git ls-files "$t/$old")" ]; then
    if [ -e "tests/$new" ] && [ -n "$(git ls-files "tests/$new")" ]; then
      for f in "$t/$old"/*; do run git mv "$f" "tests/$new/"; done
      rmdir "$t/$old" 2>/dev/null || true
    else
      run rm -rf "tests/$new"   # build left-overs only (nothing tracked)
      run git mv "$t/$old" "tests/$new"
    fi
  fi
done
echo "-- project files"
link='    <Compile Include="../Shared/**/*.cs" LinkBase="Shared" />'
if ! grep -q 'Include="../Shared/' "$t/Mitten.Tests.csproj"; then
  echo "+ (add to $t/Mitten.Tests.csproj) $link"
  perl -0pi -e "s{</Project>\\s*\$}{  <ItemGroup>\\n    <!-- Helpers several test projects use (tests/Shared), compiled into each. -->\\n$link\\n  </ItemGroup>\\n</Project>\\n}" "$t/Mitten.Tests.csproj"
fi
for pair in $tests_split; do
  new=${pair##*:}
  proj=tests/$new/$new.csproj
  if [ ! -f "$proj" ]; then
    # Same settings as Mitten.Tests (packages, drivers and programs built before the tests,
    # the generator as analyzer, references): same folder depth, so the same relative paths.
    echo "+ sed 's/<RootNamespace>Mitten.Tests</<RootNamespace>$new</' $t/Mitten.Tests.csproj > $proj"
    mkdir -p "tests/$new"
    sed "s|<RootNamespace>Mitten.Tests</RootNamespace>|<RootNamespace>$new</RootNamespace>|" "$t/Mitten.Tests.csproj" > "$proj"
    run git add "$proj"
  fi
done
echo "-- InternalsVisibleTo: every library that shows its internals to Mitten.Tests shows them to each test assembly"
for csproj in $(git ls-files 'src/*.csproj'); do
  grep -q '<InternalsVisibleTo Include="Mitten.Tests" />' "$csproj" || continue
  for pair in $tests_split; do
    new=${pair##*:}
    if ! grep -q "<InternalsVisibleTo Include=\"$new\" />" "$csproj"; then
      echo "+ (add to $csproj) <InternalsVisibleTo Include=\"$new\" />"
      perl -pi -e "s{^(\\s*)(<InternalsVisibleTo Include=\"Mitten.Tests\" />\\n)}{\$1\$2\$1<InternalsVisibleTo Include=\"$new\" />\\n}" "$csproj"
    fi
  done
done
echo "-- Mitten.sln"
for pair in $tests_split; do
  new=${pair##*:}
  if ! grep -q "\"tests\\\\$new\\\\$new.csproj\"" Mitten.sln; then
    run dotnet sln Mitten.sln add --solution-folder tests "tests/$new/$new.csproj"
  fi
done
echo "-- references to the moved test files"
fix 'tests\/Mitten\.Tests\/Support\/' 's{tests/Mitten\.Tests/Support/}{tests/Shared/}g'
fix 'tests\/Mitten\.Tests\/Runtime\/MittenCli\.cs' 's{tests/Mitten\.Tests/Runtime/MittenCli\.cs}{tests/Shared/MittenCli.cs}g'
fix 'tests\/Mitten\.Tests\/Mitten\/' 's{tests/Mitten\.Tests/Mitten/}{tests/Mitten.Tests/}g'
for pair in $tests_split; do
  old=${pair%%:*} new=${pair##*:}
  fix "tests\\/Mitten\\.Tests\\/$old(?!\\w)" "s{tests/Mitten\\.Tests/$old(?!\\w)}{tests/$new}g"
done
echo "-- scripts/test.sh: the test projects one after another (-m:1)"
# Every MPI job takes /tmp/mitten-mpi-jobs.lock, but projects run side by side would start jobs'
# deadlines while waiting for the lock and share 2 cores with timing-sensitive tests; one project
# at a time keeps today's conditions (the single Mitten.Tests ran its tests one after another).
fix 'dotnet test Mitten\.sln (?!-m:1)' 's{dotnet test Mitten\.sln (?!-m:1)}{dotnet test Mitten.sln -m:1 }g' '^scripts/test\.sh$'

echo "== 3. the docs' layout description"
# docs/ARCHITECTURE.md's layout block: the tests line
fix '^tests\/ {10,}Mitten\.Tests \(xunit\) \+ Drivers' \
  's{^tests/ {10,}Mitten\.Tests \(xunit\) \+ Drivers.*$}{tests/              one xunit project per library, named after it + .Tests (Mitten.GroupComm.Tests,\n                    Mitten.Checkpoint.Tests, Mitten.ControlDirectory.Tests, Mitten.Tests incl.\n                    Hosts/ cross-host tests, Mitten.Cli.Tests, Mitten.Bench.Tests): unit tests beside\n                    the mpiexec tests; Shared/ (MpiJob, JobAssert, MittenCli: compiled into each);\n                    Drivers/* (programs the tests run under mpiexec)}' '^docs/ARCHITECTURE\.md$'
# the fixed-width layout column: 'src/Mitten.Cli      ' keeps the description column where it was
fix '^src\/Mitten\.Cli {9}the' 's{^src/Mitten\.Cli {9}the}{src/Mitten.Cli      the}' '^docs/ARCHITECTURE\.md$'
fix '^src\/Mitten\.Checkpoint {6}one' 's{^src/Mitten\.Checkpoint {6}one}{src/Mitten.Checkpoint\n                    one}' '^docs/ARCHITECTURE\.md$'
fix '^src\/Mitten\.GroupComm {7}typed' 's{^src/Mitten\.GroupComm {7}typed}{src/Mitten.GroupComm\n                    typed}' '^docs/ARCHITECTURE\.md$'
if ! grep -q 'one test project per library' README.md; then
  fix '^scripts\/test\.sh     # every test' \
    's{^(scripts/test\.sh     # every test.*)$}{$1\n# one test project per library (tests/<Assembly>.Tests); one project, one class:\n#   dotnet test tests/Mitten.Checkpoint.Tests -c Release --filter "FullyQualifiedName~StateTests"}' '^README\.md$'
fi

echo "== done: git status --short | wc -l = $(git status --short | wc -l); now: dotnet build Mitten.sln -c Release -v q -nologo"
