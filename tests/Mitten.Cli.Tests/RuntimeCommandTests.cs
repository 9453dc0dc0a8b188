using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Runtime;

/// <summary>
/// The <c>mitten</c> command against real mpiexec jobs of the RuntimeDriver. The driver plays
/// the job's side of docs/CONTROL.md only as far as a program without the migration layer can:
/// it reports its ranks and answers each request it claims with "rejected" / "failed". What is
/// tested is the runtime's side: launch, job directory, status, validation, requests, signals,
/// waiting for and reporting outcomes, the scheduler's journal and its drain policy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class RuntimeCommandTests : IDisposable
{
    private readonly MittenCli mitten = new();

    public void Dispose() => mitten.Dispose();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 5)] // more ranks than the 2 cores: mitten must add --oversubscribe itself
    public void Run_passes_the_exit_code_through_and_records_the_job(int ranks, int exitCode)
    {
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);
        // TERM as in a terminal: .NET would write ESC[?1h ESC= into each rank's output unless mitten sets TERM=dumb.
        MpiJob job = mitten.Launch(["run", "-n", ranks.ToString(), "--", MittenCli.Driver, "env", exitCode.ToString()],
            environment: new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
        Assert.DoesNotContain('\u001b', job.Stdout);

        Assert.False(job.TimedOut, job.Describe());
        Assert.True(job.ExitCode == exitCode, "exit code not passed through\n" + job.Describe());
        string firstLine = job.Stderr.Split('\n')[0].Trim();
        Match id = JobIdLine().Match(firstLine);
        Assert.True(id.Success, "stderr must start with 'job: <id>'\n" + job.Describe());
        Assert.DoesNotContain("job:", job.Stdout);

        string dir = Path.Combine(mitten.JobsRoot, id.Groups[1].Value);
        MittenCli.OwnerOnly(dir, directory: true);
        foreach (string sub in new[] { "ranks", "requests", "migrations", "checkpoints", "failing" })
        {
            MittenCli.OwnerOnly(Path.Combine(dir, sub), directory: true);
        }
        MittenCli.OwnerOnly(Path.Combine(dir, "job.json"), directory: false);
        MittenCli.OwnerOnly(Path.Combine(dir, "scheduler.jsonl"), directory: false);

        JsonObject info = MittenCli.ReadJson(Path.Combine(dir, "job.json"));
        Assert.Equal(id.Groups[1].Value, (string?)info["id"]);
        Assert.Equal(ranks, (int)info["ranks"]!);
        Assert.Equal(MittenCli.Driver, (string?)info["program"]);
        Assert.Equal(["env", exitCode.ToString()], info["args"]!.AsArray().Select(a => (string)a!).ToArray());
        Assert.Empty(info["hosts"]!.AsArray());
        DateTimeOffset started = DateTimeOffset.Parse((string)info["started"]!);
        Assert.InRange(started, before, DateTimeOffset.UtcNow);
        Assert.True((int)info["mpiexecPid"]! > 0);
        Assert.Equal("finished", (string?)info["state"]);
        Assert.Equal(exitCode, (int)info["exitCode"]!);

        // Every rank saw the job directory in MITTEN_JOB_DIR, and no restart directory.
        var seen = job.LinesStartingWith("JOBDIR ").ToList();
        Assert.Equal(ranks, seen.Count);
        Assert.All(seen, line => Assert.EndsWith(" " + dir, line));
        Assert.Equal(ranks, job.LinesStartingWith("RESTART ").Count(l => l.EndsWith("(unset)")));
        JobAssert.OkOnRanks(job, "job-dir-exists", ranks);
    }

    [Fact]
    public void Restart_gives_the_ranks_the_checkpoint_directory()
    {
        string checkpoint = Path.Combine(mitten.Home, "ckpt");
        Directory.CreateDirectory(checkpoint);
        MittenCli.Result noCount = mitten.Run("restart", checkpoint, "--", MittenCli.Driver, "env", "0");
        noCount.IsOneLineError("give -n");
        MittenCli.Result missing = mitten.Run("restart", Path.Combine(mitten.Home, "nowhere"), "-n", "2", "--", MittenCli.Driver, "env", "0");
        missing.IsOneLineError("no checkpoint directory");
        // Refused before launch: nothing to restore yet (every rank would fail).
        mitten.Run("restart", checkpoint, "-n", "2", "--", MittenCli.Driver, "env", "0").IsOneLineError("holds no complete checkpoint");
        // A committed epoch as the checkpoint store lays it out (the driver does not read it).
        Directory.CreateDirectory(Path.Combine(checkpoint, "1"));
        File.WriteAllText(Path.Combine(checkpoint, "1", "rank-0.state"), "abc");
        File.WriteAllText(Path.Combine(checkpoint, "1", "rank-1.state"), "de");
        File.WriteAllText(Path.Combine(checkpoint, "1", "manifest"), "mitten-checkpoint 1\nepoch 1\nranks 2\nrank 0 3\nrank 1 2\ncheck 0\n");
        mitten.Run("restart", checkpoint, "-n", "3", "--", MittenCli.Driver, "env", "0").IsOneLineError("was written by 2 ranks; restart it with -n 2");
        Assert.False(Directory.Exists(mitten.JobsRoot) && Directory.GetDirectories(mitten.JobsRoot).Length > 0, "a refused restart made a job directory");

        MpiJob job = mitten.Launch(["restart", checkpoint, "-n", "2", "--", MittenCli.Driver, "env", "0"]);
        JobAssert.Succeeded(job, 2);
        Assert.Equal(2, job.LinesStartingWith("RESTART ").Count(l => l.EndsWith(" " + checkpoint)));
        string dir = Directory.GetDirectories(mitten.JobsRoot).Single();
        Assert.Equal(checkpoint, (string?)MittenCli.ReadJson(Path.Combine(dir, "job.json"))["restartDir"]);
    }

    [Fact]
    public void Status_migrate_and_checkpoint_against_a_running_job()
    {
        string host = Dns.GetHostName();
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", "2", "--", MittenCli.Driver, "serve", "--leave-running", "1"]);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, 2, running);

        // status: one row per rank, from the files only; JOB defaults to the newest job.
        MittenCli.Result status = mitten.Run("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"job {id}: running, 2 ranks", status.Stdout);
        foreach (int rank in new[] { 0, 1 })
        {
            JsonObject report = MittenCli.ReadJson(Path.Combine(dir, "ranks", $"{rank}.json"));
            Assert.Matches($@"(?m)^\s+{rank}\s+{Regex.Escape(host)}\s+{(int)report["pid"]!}\s+\d+\s+running$", status.Stdout);
        }
        JsonObject json = JsonNode.Parse(mitten.Run("status", id, "--json").Stdout)!.AsObject();
        Assert.Equal(id, (string?)json["job"]!["id"]);
        Assert.Equal(["running", "running"], json["ranks"]!.AsArray().Select(r => (string)r!["state"]!).ToArray());

        // Validation: each error is one line, non-zero, and writes no request.
        mitten.Run("migrate", id, "--rank", "2").IsOneLineError("unknown rank 2: job " + id + " has ranks 0..1");
        mitten.Run("migrate", id, "--rank", "-1").IsOneLineError("unknown rank -1");
        mitten.Run("migrate", id, "--rank", "0", "--to", "bad_host!").IsOneLineError("'bad_host!' is not a valid host name");
        mitten.Run("migrate", id, "--rank", "0", "--to", new string('a', 254)).IsOneLineError("254 characters, over 253");
        mitten.Run("migrate", id, "--rank", "0", "--to", new string('b', 64) + ".example").IsOneLineError("label of 64 characters");
        mitten.Run("migrate", id, "--rank", "0", "--to", "-x.example").IsOneLineError("starts or ends with '-'");
        mitten.Run("migrate", "j20000101-000000-abcd", "--rank", "0").IsOneLineError("unknown job j20000101-000000-abcd");
        mitten.Run("migrate", "no-such-job", "--rank", "0").IsOneLineError("is not a job id");
        mitten.Run("migrate", id).IsOneLineError("Option '--rank' is required");
        mitten.Run("migrate", id, "--rank", "0", "--timeout", "0").IsOneLineError("--timeout must be more than 0 and at most 86400 seconds (got 0)");
        mitten.Run("drain", id, "--host", host).IsOneLineError($"has no other host to drain {host} onto");
        mitten.Run("drain", id, "--host", "elsewhere").IsOneLineError("no running rank of job " + id + " is on host elsewhere");
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "requests")));

        // migrate: request written (0600), SIGUSR2 sent to the rank's pid, the job's answer reported.
        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "1", "--timeout", "30", "--verbose");
        Assert.True(migrate.ExitCode == 3, "a rejected migration exits 3\n" + migrate);
        Assert.Contains("SIGUSR2 sent to pid", migrate.Stderr);
        Assert.Contains("rejected: migration", migrate.StderrLines[^1]);
        Assert.Contains("RuntimeDriver has no migration layer", migrate.StderrLines[^1]);
        string taken = Directory.GetFiles(Path.Combine(dir, "requests"), "*.taken").Single();
        string migrationId = Path.GetFileNameWithoutExtension(taken);
        MittenCli.OwnerOnly(taken, directory: false);
        JsonObject request = MittenCli.ReadJson(taken);
        Assert.Equal(migrationId, (string?)request["id"]);
        Assert.Equal("migrate", (string?)request["kind"]);
        Assert.Equal(1, (int)request["rank"]!);
        Assert.True(request.ContainsKey("to") && request["to"] is null, "to must be null when --to is not given");

        MittenCli.Result withHost = mitten.Run("migrate", id, "--rank", "0", "--to", host, "--timeout", "30");
        Assert.True(withHost.ExitCode == 3, withHost.ToString());
        Assert.Contains(Directory.GetFiles(Path.Combine(dir, "requests"), "*.taken"),
            f => (string?)MittenCli.ReadJson(f)["to"] == host && (int)MittenCli.ReadJson(f)["rank"]! == 0);

        // checkpoint: to rank 0, default directory under the job, failure reported with its reason.
        MittenCli.Result checkpoint = mitten.Run("checkpoint", id, "--timeout", "30");
        checkpoint.IsOneLineError("failed: RuntimeDriver has no checkpoint layer", exitCode: 2);
        string checkpointId = Regex.Match(checkpoint.Stderr, @"checkpoint (c\S+) failed").Groups[1].Value;
        JsonObject checkpointRequest = MittenCli.ReadJson(Path.Combine(dir, "requests", checkpointId + ".taken"));
        Assert.Equal("checkpoint", (string?)checkpointRequest["kind"]);
        Assert.Equal(Path.Combine(dir, "checkpoints", checkpointId), (string?)checkpointRequest["dir"]);

        // status shows the history; the scheduler journaled each migration's timeline.
        MittenCli.WaitUntil(() => MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")).Count(e => (string?)e["kind"] == "migration") == 2,
            "the scheduler's two migration entries");
        MittenCli.Result history = mitten.Run("status", id);
        Assert.Contains($"{migrationId} rank 1 rejected {host} (pid", history.Stdout);
        Assert.Contains("(RuntimeDriver has no migration layer)", history.Stdout);
        Assert.Contains("checkpoint c", history.Stdout);
        JsonObject entry = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")).Single(e => (string?)e["migration"] == migrationId);
        Assert.Equal("rejected", (string?)entry["outcome"]);
        Assert.Equal(1, (int)entry["rank"]!);
        Assert.Equal(["signal", "rejected"], entry["timeline"]!.AsArray().Select(p => (string)p!["phase"]!).ToArray());
        Assert.True((long)entry["timeline"]![1]!["offset_ms"]! >= 0);

        MpiJob job = MittenCli.Stop(dir, running);
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Contains("SIGNALS rank=1 1", job.Stdout); // exactly the one SIGUSR2 of the rank-1 request
        Assert.Contains("SIGNALS rank=0 2", job.Stdout); // rank 0: the second migrate and the checkpoint

        // After the end: rank 1 never said finished and its process is gone; control is refused.
        MittenCli.Result after = mitten.Run("status", id, "--json");
        JsonObject final = JsonNode.Parse(after.Stdout)!.AsObject();
        Assert.Equal("finished", (string?)final["job"]!["state"]);
        Assert.Equal(["finished", "gone"], final["ranks"]!.AsArray().Select(r => (string)r!["state"]!).ToArray());
        Assert.Equal(2, final["migrations"]!.AsArray().Count);
        mitten.Run("migrate", id, "--rank", "0").IsOneLineError($"job {id} has finished (exit code 0)");
        mitten.Run("checkpoint", id).IsOneLineError($"job {id} has finished");
    }

    [Fact]
    public void Drain_and_the_failing_host_policy_move_ranks_off_a_host_one_at_a_time()
    {
        // One machine, so the driver reports host labels nodea/nodeb (rank r on the (r % 2)-th):
        // the ranks are "elsewhere", so the runtime signals the job's mpiexec (which forwards SIGUSR2 to every rank)
        // and the job's polling of requests/ covers a lost signal.
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", "3", "--", MittenCli.Driver, "serve", "--hosts", "nodea,nodeb"]);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, 3, running);

        MittenCli.Result drain = mitten.Run("drain", id, "--host", "nodea", "--timeout", "30", "--verbose");
        Assert.True(drain.ExitCode == 3, "nothing moved: the driver rejects\n" + drain);
        Assert.Contains("drained nodea: 0 of 2 ranks moved", drain.Stdout);
        Assert.Contains("rank is on nodea", drain.Stderr);
        var requests = Directory.GetFiles(Path.Combine(dir, "requests"), "*.taken").Select(f => (File: f, Json: MittenCli.ReadJson(f)))
            .OrderBy(r => (int)r.Json["rank"]!).ToList(); // the drain takes the host's ranks in rank order; ids are not chronological
        Assert.Equal([0, 2], requests.Select(r => (int)r.Json["rank"]!).ToArray());
        Assert.All(requests, r => Assert.Equal("nodeb", (string?)r.Json["to"]));
        // One at a time: the second request was written after the first one's outcome.
        string firstOutcome = Path.Combine(dir, "migrations", (string)requests[0].Json["id"]! + ".json");
        Assert.True(File.GetLastWriteTimeUtc(requests[1].File) >= File.GetLastWriteTimeUtc(firstOutcome));

        // Malformed input is reported by the scheduler, never acted on.
        File.AppendAllText(Path.Combine(dir, "events.jsonl"), "this is not json\n{\"time\":\"2020-01-01T00:00:00Z\",\"event\":\"explode\"}\n");
        File.WriteAllText(Path.Combine(dir, "failing", "bad host"), "");
        // The policy: a host reported failing is drained like `mitten drain`.
        File.WriteAllText(Path.Combine(dir, "failing", "nodeb"), "");
        string journal = Path.Combine(dir, "scheduler.jsonl");
        // The policy's drain can end within the scheduler pass that found nodeb, before the next
        // pass reads the event lines appended above: wait for both.
        MittenCli.WaitUntil(() => MittenCli.ReadJsonLines(journal) is var lines
            && lines.Any(e => (string?)e["action"] == "drain_done")
            && lines.Any(e => (string?)e["kind"] == "rejected_input" && ((string?)e["problem"])?.Contains("event 'explode'") == true),
            "the policy's drain and the scheduler's reading of the malformed events");
        List<JsonObject> entries = MittenCli.ReadJsonLines(journal);
        Assert.Contains(entries, e => (string?)e["kind"] == "host_failing" && (string?)e["host"] == "nodeb");
        JsonObject drained = entries.Single(e => (string?)e["action"] == "drain_rank");
        Assert.Equal(1, (int)drained["rank"]!);
        Assert.Equal("nodea", (string?)drained["to"]);
        Assert.Equal("rejected", (string?)drained["outcome"]);
        Assert.True(File.Exists(Path.Combine(dir, "requests", (string)drained["migration"]! + ".taken")), "the policy's request was written and claimed");
        var problems = entries.Where(e => (string?)e["kind"] == "rejected_input").Select(e => (string)e["problem"]!).ToList();
        Assert.Contains(problems, p => p.Contains("not JSON"));
        Assert.Contains(problems, p => p.Contains("event 'explode'"));
        Assert.Contains(problems, p => p.Contains("'bad host' is not a host name"));
        Assert.DoesNotContain(entries, e => (string?)e["host"] == "bad host");

        // While nodeb is marked failing, a drain of nodea has nowhere to go.
        mitten.Run("drain", id, "--host", "nodea").IsOneLineError("has no other host to drain nodea onto");

        MpiJob job = MittenCli.Stop(dir, running);
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Equal(3, MittenCli.ReadJsonLines(journal).Count(e => (string?)e["kind"] == "migration"));
    }

    [Fact]
    public void A_dead_runtime_leaves_the_job_running_and_status_working()
    {
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", "2", "--", MittenCli.Driver, "serve"]);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, 2, running);
        int mpiexec = 0;
        MittenCli.WaitUntil(() => (mpiexec = (int?)MittenCli.ReadJson(Path.Combine(dir, "job.json"))["mpiexecPid"] ?? 0) > 0, "mpiexec's pid");
        int runtime = ParentOf(mpiexec);
        Assert.EndsWith("mitten", File.ReadAllText($"/proc/{runtime}/comm").Trim());
        Assert.Equal(0, Kill(runtime, 9)); // the runtime and its scheduler die at once

        long Superstep() => (long)MittenCli.ReadJson(Path.Combine(dir, "ranks", "0.json"))["superstep"]!;
        long before = Superstep();
        MittenCli.WaitUntil(() => Superstep() > before, "the job to keep going"); // reports are rewritten about once a second
        MittenCli.Result status = mitten.Run("status", id);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"job {id}: running", status.Stdout);
        // Requests do not go through the scheduler either.
        Assert.Equal(3, mitten.Run("migrate", id, "--rank", "0", "--timeout", "30").ExitCode);

        MpiJob job = MittenCli.Stop(dir, running);
        Assert.Contains("SIGNALS rank=0 1", job.Stdout); // the migrate request's signal, sent by the command itself
        MittenCli.Result after = mitten.Run("status", id);
        MittenCli.WaitUntil(() => (after = mitten.Run("status", id)).Stdout.Contains($"job {id}: lost"), "status to see mpiexec gone", seconds: 15);
        Assert.Contains("ended without recording the end", after.Stderr);
    }

    [Fact]
    public void Malformed_files_and_open_permissions_are_rejected_with_a_message()
    {
        MpiJob job = mitten.Launch(["run", "-n", "1", "--", MittenCli.Driver, "env", "0"]);
        Assert.True(job.ExitCode == 0, job.Describe());
        string dir = Directory.GetDirectories(mitten.JobsRoot).Single();
        string id = Path.GetFileName(dir);

        File.WriteAllText(Path.Combine(dir, "ranks", "0.json"), "{\"rank\":0,\"host\":\"no such host!\",\"pid\":1,\"state\":\"running\"}");
        File.WriteAllText(Path.Combine(dir, "ranks", "1.json"), "{\"rank\":1,\"host\":\"h\",\"pid\":2,\"state\":\"dancing\"}");
        File.WriteAllText(Path.Combine(dir, "migrations", "m1.json"), "{ not json");
        File.WriteAllBytes(Path.Combine(dir, "migrations", "m2.json"), new byte[(1 << 20) + 1]);
        MittenCli.Result status = mitten.Run("status", id);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(@"(?m)^\s+0\s+-\s+-\s+-\s+unknown$", status.Stdout);
        Assert.Contains(status.StderrLines, l => l.Contains("'no such host!' is not a host name"));
        Assert.Contains(status.StderrLines, l => l.Contains("state 'dancing' is not one of"));
        Assert.Contains(status.StderrLines, l => l.Contains("m1.json: not JSON"));
        Assert.Contains(status.StderrLines, l => l.Contains("over the 1048576 byte limit"));

        // A job directory others can enter is not controlled.
        File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        mitten.Run("migrate", id, "--rank", "0").IsOneLineError("is open to other users (mode 0751)");
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        File.WriteAllText(Path.Combine(dir, "job.json"), "{\"id\":\"x\",\"ranks\":\"two\"}");
        mitten.Run("status", id).IsOneLineError("job.json: \"ranks\" has the wrong type or value");
        File.WriteAllText(Path.Combine(dir, "job.json"), "{\"id\":\"x\",\"ranks\":2}");
        mitten.Run("migrate", id, "--rank", "0").IsOneLineError("job.json: missing \"program\"");
    }

    [Fact]
    public void The_launcher_script_runs_the_command()
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(MpiJob.RepositoryRoot, "scripts", "mitten"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("status");
        psi.Environment["MITTEN_HOME"] = mitten.Home;
        using var process = System.Diagnostics.Process.Start(psi)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000));
        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"mitten: no jobs under {mitten.JobsRoot}", stderr);
    }

    private static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"^job: (j\d{8}-\d{6}-[0-9a-f]{4})$")]
    private static partial Regex JobIdLine();
}
