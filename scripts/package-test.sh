#!/usr/bin/env bash
# Uses Mitten the way a user would: packs the libraries, the mitten tool and the template into
# a local feed, installs the tool and the template from it, creates a program from the
# template and one from scratch (dotnet new console + dotnet add package), builds both against
# the feed only (plus the registry for third-party packages), and runs them under MPI with a
# migration. Usage: scripts/package-test.sh [--feed DIR]. Ends with "package-test: ok" or a line saying what failed. About 3-5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
repo=$PWD
work=$(mktemp -d /tmp/mitten-package-test.XXXXXX)
# On any exit: stop a detached job this script started (it holds the MPI lock), then clean up.
trap '[ -x "$work/tools/mitten" ] && [ -d "$work/mitten-home/jobs" ] && "$work/tools/mitten" cancel heat --timeout 20 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
feed=$work/feed
export NUGET_PACKAGES=$work/nuget-packages     # a private cache: never a stale copy of this version
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export MITTEN_HOME=$work/mitten-home
fail() { echo "package-test: FAILED: $*"; exit 1; }

if [ "${1:-}" = "--feed" ]; then
  cp -r "$2" "$feed"    # packages made before (e.g. by CI's pack step)
else
  echo "== pack"
  dotnet pack Mitten.sln -c Release -o "$feed" -v q -nologo >"$work/pack.log" 2>&1 || { tail -30 "$work/pack.log"; fail "dotnet pack Mitten.sln"; }
fi
for p in Mitten Mitten.Checkpoint Mitten.GroupComm Mitten.ControlDirectory Mitten.Cli Mitten.Templates; do
  ls "$feed/$p".[0-9]*.nupkg >/dev/null 2>&1 || fail "no package $p in the feed"
done
version=$(basename "$(ls "$feed"/Mitten.Checkpoint.[0-9]*.nupkg | grep -v snupkg)" .nupkg); version=${version#Mitten.Checkpoint.}
grep -q "analyzers/dotnet/cs/Mitten.Checkpoint.Generators.dll" <(unzip -l "$feed/Mitten.Checkpoint.$version.nupkg") || fail "the generator is not in Mitten.Checkpoint as an analyzer"
grep -q "<license" <(unzip -p "$feed/Mitten.$version.nupkg" Mitten.nuspec) || fail "Mitten has no licence"
grep -q "README.md" <(unzip -l "$feed/Mitten.$version.nupkg") || fail "Mitten has no readme"

cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="registry" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Mitten*" /></packageSource>
    <packageSource key="registry"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML

echo "== tool and template"
dotnet tool install Mitten.Cli --version "$version" --tool-path "$work/tools" --configfile "$work/nuget.config" >"$work/tool.log" 2>&1 || { cat "$work/tool.log"; fail "dotnet tool install Mitten.Cli"; }
hive=$work/template-hive
dotnet new install "$feed/Mitten.Templates.$version.nupkg" --debug:custom-hive "$hive" >"$work/template.log" 2>&1 || { cat "$work/template.log"; fail "dotnet new install"; }
cd "$work"
dotnet new mitten-app -n HeatApp --debug:custom-hive "$hive" >>"$work/template.log" 2>&1 || { cat "$work/template.log"; fail "dotnet new mitten-app"; }
cp nuget.config HeatApp/
dotnet build HeatApp -c Release -v q -nologo >"$work/heat-build.log" 2>&1 || { tail -30 "$work/heat-build.log"; fail "building the template's program"; }

echo "== from scratch, with a field the generator must warn about"
dotnet new console -n Scratch >/dev/null
cp nuget.config Scratch/
# One package reference: Mitten brings Mitten.Checkpoint and its [Migratable] generator.
(cd Scratch && dotnet add package Mitten --version "$version" >/dev/null) || fail "dotnet add package"
cat > Scratch/Program.cs <<'CS'
using Mitten;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

using var session = MittenSession<Counter>.Start(() => new Counter(), MigratableCodec.For<Counter>());
var comm = session.Communicator;
if (session.IsReplacement)
{
    Console.WriteLine($"REPLACEMENT rank={comm.Rank}");
}
while (session.State.Step < 200)
{
    session.MigrationPoint(); // the top of the loop: a move happens here
    session.State.Sum += comm.Allreduce(comm.Rank + 1L, Op.Sum);
    session.State.Step++;
    if (session.State.Step == 50 && comm.Rank == 0 && !session.IsReplacement)
    {
        session.RequestMigration(1); // the program asks for a move itself
    }
    Thread.Sleep(5);
}
Console.WriteLine($"RESULT rank={comm.Rank} sum={session.State.Sum}");
session.Finish();

[Migratable]
public sealed partial class Counter
{
    public long Step;
    public long Sum;
    [NotMigrated] public FileStream? Log;
    public FileStream? Forgotten; // MTN003: belongs to this process
}
CS
dotnet build Scratch -c Release -v q -nologo >"$work/scratch-build.log" 2>&1 || { tail -30 "$work/scratch-build.log"; fail "building the scratch program"; }
grep -q "warning MTN003: Field 'Forgotten' of 'Counter' holds a System.IO.Stream" "$work/scratch-build.log" || { tail -20 "$work/scratch-build.log"; fail "no MTN003 warning for a FileStream field"; }
grep -q "'Log'" "$work/scratch-build.log" && fail "MTN003 for a [NotMigrated] field"

echo "== run the template's program with mitten, migrate a rank"
mitten=$work/tools/mitten
heat=$work/HeatApp/bin/Release/net10.0/HeatApp
exec 9>/tmp/mitten-mpi-jobs.lock
flock 9
"$mitten" run -n 2 --detach --name heat -- "$heat" 100000 20000 >"$work/run.out" 2>"$work/run.err" || { cat "$work/run.err"; fail "mitten run --detach"; }
job=$(cat "$work/run.out")
deadline=$((SECONDS + 60))
until grep -q '"superstep": [1-9]' "$MITTEN_HOME/jobs/$job/ranks/1.json" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "rank 1 never reported a superstep"
  sleep 0.2
done
"$mitten" migrate heat --rank 1 --to "$(hostname)" --timeout 120 || fail "mitten migrate"
deadline=$((SECONDS + 180))
until grep -q '"state": "finished"' <("$mitten" status heat --json); do
  [ $SECONDS -lt $deadline ] || fail "the migrated job did not end"
  sleep 0.5
done
grep -q '"exitCode": 0' <("$mitten" status heat --json) || { cat "$MITTEN_HOME/jobs/$job/output.log"; fail "the migrated job failed"; }
grep -q "^REPLACEMENT rank=1" "$MITTEN_HOME/jobs/$job/output.log" || fail "no replacement in the job's output"
migrated=$(grep "^RESULT" "$MITTEN_HOME/jobs/$job/output.log")

echo "== the same program unmigrated, and the scratch program under plain mpiexec"
plain=$(mpiexec -n 2 --mca orte_allowed_exit_without_sync 1 -x TERM=dumb "$heat" 100000 20000 | grep "^RESULT")
[ "$plain" = "$migrated" ] || fail "migrated result '$migrated' differs from unmigrated '$plain'"
scratch=$(mpiexec -n 2 --oversubscribe --mca orte_allowed_exit_without_sync 1 -x TERM=dumb "$work/Scratch/bin/Release/net10.0/Scratch")
grep -q "^REPLACEMENT rank=1" <<<"$scratch" || { echo "$scratch"; fail "the scratch program's own migration did not happen"; }
[ "$(echo "$scratch" | grep -c '^RESULT .* sum=600$')" = 2 ] || { echo "$scratch"; fail "the scratch program's results"; }
flock -u 9
echo "package-test: ok ($migrated)"
