using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Mitten.Tests.Runtime;

/// <summary>
/// The <c>mitten</c> command against jobs that really migrate: <c>mitten run</c> of the
/// MittenDriver's transit scenario (4 ranks exchanging sequence-numbered messages and
/// collectives, checking exactly-once in-order delivery) with operator commands next to it.
/// Every job's results are compared with an unmigrated run of the same program.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class EndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const int Ranks = 4;

    // About 10 s on 4 ranks: long enough for the operator commands to reach the running job.
    private static readonly string[] Transit = ["transit", "--iterations", "300", "--compute-ms", "30"];

    private static readonly Lazy<long> UnmigratedChecksum = new(() =>
    {
        MpiJob reference = MpiJob.Run(Ranks, Driver, Transit, TimeSpan.FromSeconds(120));
        JobAssert.Succeeded(reference, 2 * Ranks);
        long[] sums = Checksums(reference);
        Assert.Equal(Ranks, sums.Length);
        Assert.Single(sums.Distinct());
        return sums[0];
    });

    private readonly MittenCli mitten = new();

    public void Dispose() => mitten.Dispose();

    private static string Driver => MpiJob.Driver("MittenDriver");

    private static string ThisHost => Dns.GetHostName();

    [Fact]
    public void Migrate_commits_and_status_and_the_location_table_follow()
    {
        long expected = UnmigratedChecksum.Value;
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--", Driver, .. Transit], timeoutSeconds: 150);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);

        // status while the job runs: every rank on this host with its pid, supersteps moving on.
        JsonObject first = StatusJson(id);
        Assert.Equal("running", (string?)first["job"]!["state"]);
        JsonArray rows = first["ranks"]!.AsArray();
        Assert.Equal(Ranks, rows.Count);
        for (int r = 0; r < Ranks; r++)
        {
            Assert.Equal(r, (int)rows[r]!["rank"]!);
            Assert.Equal(ThisHost, (string?)rows[r]!["host"]);
            Assert.Equal(RankPid(dir, r), (int)rows[r]!["pid"]!);
            Assert.Contains((string?)rows[r]!["state"], new[] { "running", "synchronizing" });
        }
        long[] before = Supersteps(first);
        MittenCli.WaitUntil(() => Supersteps(StatusJson(id)).Zip(before).All(p => p.First > p.Second), "every rank's superstep to increase");
        MittenCli.Result text = mitten.Run("status", id);
        Assert.Contains($"job {id}: running, {Ranks} ranks", text.Stdout);
        Assert.Contains("migrations: none", text.Stdout);

        int oldPid = RankPid(dir, 2);
        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "2", "--to", ThisHost, "--timeout", "90", "-v");
        output.WriteLine(migrate.ToString());
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.StartsWith("committed: migration m", migrate.Stdout);
        Assert.Contains($"moved rank 2 from {ThisHost} (pid {oldPid}) to {ThisHost} (pid ", migrate.Stdout);
        Assert.Contains("SIGUSR2 sent to pid " + oldPid, migrate.Stderr);
        Dictionary<string, double> phases = PhaseTimes(migrate.Stdout);
        foreach (string phase in new[] { "sync", "spawn", "transfer", "total", "freeze" })
        {
            Assert.True(phases.TryGetValue(phase, out double ms) && ms > 0, $"phase {phase} missing or not positive\n{migrate}");
        }
        Assert.True(phases["total"] >= phases["sync"] + phases["spawn"], migrate.ToString());
        // The freeze's and the lock's waits are reported apart; the freeze's is a part of the protocol time.
        Assert.True(phases.TryGetValue("freeze_wait", out double freezeWait) && freezeWait >= 0 && freezeWait <= phases["protocol"], migrate.ToString());
        Assert.True(phases.TryGetValue("lock_wait", out double lockWait) && lockWait >= 0, migrate.ToString());

        // The replacement is the new rank 2: its own report, the job's location table and status agree.
        string requestId = Regex.Match(migrate.Stdout, @"migration (m\S+)").Groups[1].Value;
        JsonObject outcome = MittenCli.ReadJson(Path.Combine(dir, "migrations", requestId + ".json"));
        int newPid = (int)outcome["to"]!["pid"]!;
        Assert.True(newPid > 0 && newPid != oldPid, outcome.ToJsonString());
        Assert.True(File.Exists(Path.Combine(dir, "requests", requestId + ".taken")), "the job claimed the request");
        MittenCli.WaitUntil(() => RankPid(dir, 2) == newPid, "rank 2's report from the replacement");
        JsonObject locations = MittenCli.ReadJson(Path.Combine(dir, "locations.json"));
        Assert.Equal(newPid, (int)locations["2"]!["pid"]!);
        Assert.Equal(ThisHost, (string?)locations["2"]!["host"]);
        foreach (int r in new[] { 0, 1, 3 })
        {
            Assert.Equal(RankPid(dir, r), (int)locations[r.ToString()]!["pid"]!);
        }
        MittenCli.Result status = mitten.Run("status", id);
        Assert.Matches($@"(?m)^\s+2\s+{Regex.Escape(ThisHost)}\s+{newPid}\s+\d+\s+(running|synchronizing)$", status.Stdout);
        Assert.Contains($"{requestId} rank 2 committed {ThisHost} (pid {oldPid}) -> {ThisHost} (pid {newPid})", status.Stdout);

        // The job ends with every check ok and the unmigrated run's results.
        MpiJob job = MittenCli.WaitForEnd(running);
        JobAssert.Succeeded(job, 2 * Ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, Checksums(job).Length);
        Assert.Single(job.LinesStartingWith($"REPLACEMENT rank=2 pid={newPid} "));
        JsonObject final = StatusJson(id);
        Assert.Equal("finished", (string?)final["job"]!["state"]);
        Assert.All(final["ranks"]!.AsArray(), r => Assert.Equal("finished", (string?)r!["state"]));

        // The scheduler's record: the timeline in order, and the location table only ever moved to the new pid.
        List<JsonObject> journal = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl"));
        JsonObject entry = journal.Single(e => (string?)e["kind"] == "migration");
        Assert.Equal("committed", (string?)entry["outcome"]);
        string[] timeline = entry["timeline"]!.AsArray().Select(p => (string)p!["phase"]!).ToArray();
        Assert.Equal("signal", timeline[0]);
        Assert.Equal("committed", timeline[^1]);
        Assert.Superset(new HashSet<string> { "signal", "started", "synchronized", "spawned", "state sent", "restored", "committed" }, timeline.ToHashSet());
        // Every event the job wrote (resumed included) is one of the contract's: nothing rejected.
        Assert.DoesNotContain(journal, e => (string?)e["kind"] == "rejected_input");
        Assert.Equal(oldPid, (int)entry["from"]!["pid"]!);
        Assert.Equal(newPid, (int)entry["to"]!["pid"]!);
        var moves = journal.Where(e => (string?)e["kind"] == "locations").ToList();
        Assert.Single(moves);
        Assert.Equal(newPid, (int)moves[0]["locations"]!["2"]!["pid"]!);
        Assert.Equal(newPid, (int)journal.Single(e => (string?)e["kind"] == "scheduler_stop")["locations"]!["2"]!["pid"]!);
    }

    [Fact]
    public void Migrate_to_an_unknown_host_rolls_back_and_the_job_completes()
    {
        long expected = UnmigratedChecksum.Value;
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--", Driver, .. Transit], timeoutSeconds: 150);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);
        int[] pids = Enumerable.Range(0, Ranks).Select(r => RankPid(dir, r)).ToArray();

        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "1", "--to", "no-such-host.invalid", "--timeout", "90");
        output.WriteLine(migrate.ToString());
        Assert.True(migrate.ExitCode == 2, "rolled back exits 2\n" + migrate);
        Assert.Single(migrate.StderrLines);
        Assert.StartsWith("mitten: rolled back: migration m", migrate.StderrLines[0]);
        Assert.Contains("no-such-host.invalid", migrate.StderrLines[0]);
        Assert.Equal("", migrate.Stdout);

        // The rank stayed where it was and the job ran on to the same results as without the attempt.
        MpiJob job = MittenCli.WaitForEnd(running);
        JobAssert.Succeeded(job, 2 * Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, Checksums(job).Length);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
        JsonObject final = StatusJson(id);
        JsonObject outcome = final["migrations"]!.AsArray().Single()!.AsObject();
        Assert.Equal("rolled_back", (string?)outcome["outcome"]);
        Assert.Equal(1, (int)outcome["rank"]!);
        Assert.Equal(pids, final["ranks"]!.AsArray().Select(r => (int)r!["pid"]!).ToArray());
        Assert.All(final["ranks"]!.AsArray(), r => Assert.Equal("finished", (string?)r!["state"]));
        JsonObject entry = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")).Single(e => (string?)e["kind"] == "migration");
        Assert.Equal("rolled_back", (string?)entry["outcome"]);
        Assert.Contains("rolled back", entry["timeline"]!.AsArray().Select(p => (string)p!["phase"]!));
    }

    /// <summary>
    /// A spawn that really fails (the host is in MITTEN_HOSTS, so the job tries it) rolls back,
    /// but Open MPI 4.1's mpiexec then never exits although every rank ended: mitten run's
    /// watchdog stops it once every rank reported finished and its process is gone.
    /// </summary>
    [Fact]
    public void After_a_failed_spawn_mitten_run_stops_the_mpiexec_that_outlives_its_ranks()
    {
        long expected = UnmigratedChecksum.Value;
        var environment = new Dictionary<string, string> { ["MITTEN_HOSTS"] = "no-such-host.invalid", ["MITTEN_STUCK_SECONDS"] = "3" };
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--", Driver, .. Transit], timeoutSeconds: 150, environment);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);

        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "1", "--to", "no-such-host.invalid", "--timeout", "90");
        Assert.True(migrate.ExitCode == 2, migrate.ToString());
        Assert.Contains("spawning the replacement on 'no-such-host.invalid' failed", migrate.Stderr);

        MpiJob job = MittenCli.WaitForEnd(running);
        Assert.False(job.TimedOut, "mitten run kept waiting for mpiexec\n" + job.Describe());
        Assert.True(job.Checks.Count >= 2 * Ranks && job.Checks.All(c => c.Ok), job.Describe());
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, job.LinesStartingWith("END ").Count());
        Assert.Contains("is still running (Open MPI 4.1 does this after a failed spawn); stopping it", job.Stderr);
        JsonObject stopped = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")).Single(e => (string?)e["kind"] == "mpiexec_stopped");
        Assert.Equal((int)MittenCli.ReadJson(Path.Combine(dir, "job.json"))["mpiexecPid"]!, (int)stopped["pid"]!);
        Assert.Equal("finished", (string?)StatusJson(id)["job"]!["state"]);
    }

    /// <summary>
    /// This machine is the only host. Open MPI accepts a second name for it (<c>--host
    /// vm:2,localhost:2</c>) but merges the names into one node, and a host file naming both is
    /// rejected, so a real drain cannot be shown here. A name of the same machine is no target:
    /// drain refuses, and so does the failing-host policy, which journals why; the job runs on.
    /// </summary>
    [Fact]
    public void Drain_and_the_failing_host_policy_refuse_when_no_other_machine_exists()
    {
        long expected = UnmigratedChecksum.Value;
        string hostFile = Path.Combine(mitten.Home, "hosts");
        Directory.CreateDirectory(mitten.Home);
        File.WriteAllText(hostFile, "localhost slots=8\n");
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--host-file", hostFile, "--", Driver, .. Transit], timeoutSeconds: 150);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);
        // The host file's hosts reach the ranks, whose migration layer accepts only known hosts.
        string environ = File.ReadAllText($"/proc/{RankPid(dir, 0)}/environ");
        Assert.Contains("\0MITTEN_HOSTS=localhost\0", "\0" + environ);

        // The job's hosts are "localhost" (host file) and this machine's name (the ranks' reports): one machine.
        mitten.Run("drain", id, "--host", ThisHost).IsOneLineError(
            $"job {id} has no other host to drain {ThisHost} onto (hosts: localhost, {ThisHost}; localhost is the same machine as {ThisHost})");
        mitten.Run("drain", id, "--host", "localhost").IsOneLineError($"has no other host to drain localhost onto");
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "requests")));

        File.WriteAllText(Path.Combine(dir, "failing", ThisHost), "");
        string journal = Path.Combine(dir, "scheduler.jsonl");
        MittenCli.WaitUntil(() => MittenCli.ReadJsonLines(journal).Any(e => (string?)e["action"] == "drain_failed"), "the policy's answer");
        List<JsonObject> entries = MittenCli.ReadJsonLines(journal);
        Assert.Contains(entries, e => (string?)e["kind"] == "host_failing" && (string?)e["host"] == ThisHost);
        Assert.Contains("has no other host to drain", (string?)entries.Single(e => (string?)e["action"] == "drain_failed")["reason"]);
        Assert.DoesNotContain(entries, e => (string?)e["action"] == "drain_rank");
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "requests")));

        MpiJob job = MittenCli.WaitForEnd(running);
        JobAssert.Succeeded(job, 2 * Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
        Assert.Contains("drain_failed", File.ReadAllText(journal));
    }

    [Fact]
    public void Malformed_requests_are_ignored_with_a_warning_and_the_job_still_migrates()
    {
        long expected = UnmigratedChecksum.Value;
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--", Driver, .. Transit, "--migrate", "3@40"], timeoutSeconds: 150);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);

        string requests = Path.Combine(dir, "requests");
        var bad = new Dictionary<string, string>
        {
            ["bad-json"] = "{\"id\":\"bad-json\",\"kind\":",
            ["bad-rank"] = "{\"id\":\"bad-rank\",\"kind\":\"migrate\",\"rank\":99,\"to\":null}",
            ["bad-kind"] = "{\"id\":\"bad-kind\",\"kind\":\"explode\",\"rank\":1}",
            ["bad-host"] = "{\"id\":\"bad-host\",\"kind\":\"migrate\",\"rank\":1,\"to\":\"bad_host!\"}",
            ["bad-size"] = "{\"id\":\"bad-size\",\"kind\":\"migrate\",\"rank\":1,\"pad\":\"" + new string('x', 70_000) + "\"}",
        };
        foreach (var (name, content) in bad)
        {
            File.WriteAllText(Path.Combine(requests, name + ".json"), content);
        }
        // A FIFO named like a request: opening it would block every rank (and the scheduler) for ever.
        string fifo = Path.Combine(requests, "fifo-request.json");
        Assert.Equal(0, mkfifo(fifo, Convert.ToUInt32("600", 8)));
        Assert.Equal(0, kill(RankPid(dir, 1), 12)); // SIGUSR2: rank 1 looks at once
        MittenCli.WaitUntil(() => bad.Keys.All(name => !File.Exists(Path.Combine(requests, name + ".json"))), "the job to set the malformed requests aside");
        MittenCli.WaitUntil(() => !File.Exists(fifo), "the job to set the FIFO aside without opening it");
        Assert.True(File.Exists(Path.Combine(requests, "fifo-request.invalid")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "migrations")));
        Assert.All(bad.Keys, name => Assert.False(File.Exists(Path.Combine(requests, name + ".taken")), name + " was claimed"));

        // The job still acts on a valid request.
        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "1", "--to", ThisHost, "--timeout", "90");
        output.WriteLine(migrate.ToString());
        Assert.True(migrate.ExitCode == 0, migrate.ToString());

        MpiJob job = MittenCli.WaitForEnd(running);
        JobAssert.Succeeded(job, 2 * Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=1 "));
        foreach (string name in bad.Keys)
        {
            Assert.Contains($"warning: ignoring request {name}.json", job.Stderr);
        }
        Assert.Contains("warning: ignoring request fifo-request.json: not a regular file", job.Stderr);
        // Two commits: the operator's and the one the program asked for itself (--migrate 3@40),
        // both with their ends and phase times in status and in the scheduler's journal.
        JsonObject final = StatusJson(id);
        Assert.Equal(["committed", "committed"], final["migrations"]!.AsArray().Select(m => (string)m!["outcome"]!).ToArray());
        var journaled = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")).Where(e => (string?)e["kind"] == "migration").ToList();
        Assert.Equal(2, journaled.Count);
        Assert.All(journaled, m =>
        {
            Assert.Equal("committed", (string?)m["outcome"]);
            Assert.True((int?)m["from"]?["pid"] > 0 && (int?)m["to"]?["pid"] > 0 && m["phases_ms"]?["total"] is not null, m.ToJsonString());
        });
        // One id scheme for both: the operator's request (mitten migrate) and the program's own (RequestMigration).
        Assert.All(journaled, m => Assert.True(global::Mitten.ControlDirectory.Names.IsGeneratedRequestId((string?)m["migration"] ?? ""), m.ToJsonString()));
        Assert.Contains(journaled, m => (int?)m["rank"] == 3);
        Assert.Contains(journaled, m => (int?)m["rank"] == 1);
    }

    [Fact]
    public void Checkpoint_kill_and_restart_resume_with_the_same_results()
    {
        long expected = UnmigratedChecksum.Value;
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--", Driver, .. Transit], timeoutSeconds: 150);
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);

        MittenCli.Result checkpoint = mitten.Run("checkpoint", id, "--timeout", "90");
        output.WriteLine(checkpoint.ToString());
        Assert.True(checkpoint.ExitCode == 0, checkpoint.ToString());
        Match written = Regex.Match(checkpoint.Stdout, @"^written: checkpoint (c\S+) epoch (\d+) in (.+)$", RegexOptions.Multiline);
        Assert.True(written.Success, checkpoint.ToString());
        string checkpointDir = written.Groups[3].Value.Trim();
        Assert.StartsWith(Path.Combine(dir, "checkpoints") + "/", checkpointDir);
        JsonObject note = MittenCli.ReadJson(Path.Combine(checkpointDir, "mitten-job.json"));
        Assert.Equal(written.Groups[1].Value, (string?)note["checkpoint"]);
        Assert.Equal(Ranks, (int)note["ranks"]!);
        Assert.Equal(Driver, (string?)note["program"]);

        // The whole job dies (mpiexec stopped, the ranks with it) before it finished.
        int mpiexec = (int)MittenCli.ReadJson(Path.Combine(dir, "job.json"))["mpiexecPid"]!;
        Assert.Equal(0, kill(mpiexec, 15));
        MpiJob killed = MittenCli.WaitForEnd(running);
        Assert.True(killed.ExitCode != 0, killed.Describe());
        Assert.Empty(killed.LinesStartingWith("RESULT "));
        Assert.Equal("finished", (string?)StatusJson(id)["job"]!["state"]);

        // The job's checkpoints: the one written, complete, with its superstep and size.
        MittenCli.Result list = mitten.Run("checkpoints", id);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"(?m)^{written.Groups[1].Value}\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+{written.Groups[2].Value}\s+\d+\s+[\d.]+ (B|KiB|MiB)\s+yes$", list.Stdout);

        // Refused before launch: another rank count than the checkpoint's.
        mitten.Run("restart", id, "-n", (Ranks + 1).ToString()).IsOneLineError($"was written by {Ranks} ranks; restart it with -n {Ranks}");
        Assert.Single(Directory.GetDirectories(mitten.JobsRoot));

        // "restart JOB": its newest complete checkpoint; -n and the program from mitten-job.json;
        // every rank resumes from the checkpoint.
        MpiJob restarted = mitten.Launch(["restart", id], timeoutSeconds: 150);
        JobAssert.Succeeded(restarted, 2 * Ranks);
        string[] resumed = restarted.LinesStartingWith("RESTARTED ").ToArray();
        Assert.Equal(Ranks, resumed.Length);
        Assert.Single(resumed.Select(l => Regex.Match(l, @"iteration=(\d+)").Groups[1].Value).Distinct());
        Assert.Empty(restarted.LinesStartingWith("START "));
        Assert.All(Checksums(restarted), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, Checksums(restarted).Length);
        string second = Directory.GetDirectories(mitten.JobsRoot).Single(d => d != dir);
        Assert.Equal(checkpointDir, (string?)MittenCli.ReadJson(Path.Combine(second, "job.json"))["restartDir"]);
    }

    [Fact]
    public void A_detached_job_checkpoints_periodically_and_restarts_itself_after_a_failure()
    {
        long expected = UnmigratedChecksum.Value;
        // A detached job is not a child of the test: hold the machine's MPI lock for its whole life.
        using IDisposable machineLock = MpiJob.AcquireMachineLock();
        MittenCli.Result run = mitten.Run(["run", "--detach", "--name", "steady", "--checkpoint-every", "2", "--max-restarts", "1",
            "-n", Ranks.ToString(), "--", Driver, .. Transit]); // the same program as the unmigrated reference
        Assert.True(run.ExitCode == 0, run.ToString());
        string first = run.Stdout.Trim();
        string dir = Path.Combine(mitten.JobsRoot, first);
        Assert.Matches(@"^j\d{8}-\d{6}-[0-9a-f]{4}$", first);
        Assert.Contains("steady", mitten.Run("jobs").Stdout);
        Assert.Contains($"job {first}: running", mitten.Run("status", "steady").Stdout);

        // Wait for a complete periodic checkpoint, then kill a rank: the job fails.
        MittenCli.WaitUntil(() => Regex.IsMatch(mitten.Run("checkpoints", "steady").Stdout, @"(?m)\syes$"), "a complete periodic checkpoint", seconds: 60);
        Assert.Equal(0, kill(RankPid(dir, 2), 9));

        // --max-restarts 1: a new job of the same name from the newest complete checkpoint, which completes.
        string? second = null;
        MittenCli.WaitUntil(() => (second = Directory.GetDirectories(mitten.JobsRoot).Select(Path.GetFileName).SingleOrDefault(d => d != first)) is not null,
            "the automatic restart", seconds: 60);
        MittenCli.WaitUntil(() => (string?)StatusJson(second!)["job"]!["state"] == "finished", "the restarted job to end", seconds: 120);
        string log = File.ReadAllText(Path.Combine(dir, "output.log"));
        Assert.Matches($@"mitten: job {first} failed \(exit code \d+\); restarting from checkpoint \S+ \(restart 1 of 1\)", log);
        JsonObject restarted = StatusJson(second!);
        Assert.Equal(0, (int?)restarted["job"]!["exitCode"]);
        Assert.Equal("steady", (string?)restarted["job"]!["name"]);
        Assert.StartsWith(Path.Combine(dir, "checkpoints") + "/", (string?)restarted["job"]!["restartDir"]);
        string after = log[log.IndexOf("restarting from checkpoint", StringComparison.Ordinal)..];
        long[] sums = Regex.Matches(after, @"(?m)^RESULT .*checksum=(-?\d+)").Select(m => long.Parse(m.Groups[1].Value)).ToArray();
        Assert.Equal(Ranks, sums.Length);
        Assert.All(sums, sum => Assert.Equal(expected, sum));
        // The checkpoints' journal lines, and no checkpoint taken for an unfinished migration.
        List<JsonObject> journal = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl"));
        Assert.Contains(journal, e => (string?)e["kind"] == "periodic_checkpoint" && (string?)e["outcome"] == "written");
        Assert.DoesNotContain(journal, e => (string?)e["kind"] == "migration");
        Assert.DoesNotContain(journal, e => (string?)e["kind"] == "rejected_input");
    }

    private JsonObject StatusJson(string id)
    {
        MittenCli.Result status = mitten.Run("status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        return JsonNode.Parse(status.Stdout)!.AsObject();
    }

    private static long[] Supersteps(JsonObject status) => status["ranks"]!.AsArray().Select(r => (long?)r!["superstep"] ?? -1).ToArray();

    private static int RankPid(string dir, int rank) => (int)MittenCli.ReadJson(Path.Combine(dir, "ranks", $"{rank}.json"))["pid"]!;

    private static long[] Checksums(MpiJob job) =>
        job.LinesStartingWith("RESULT ").Select(l => long.Parse(ChecksumField().Match(l).Groups[1].Value)).ToArray();

    /// <summary>The "[name value, ...  ms]" list of a committed migration's line.</summary>
    private static Dictionary<string, double> PhaseTimes(string line)
    {
        Match list = Regex.Match(line, @"\[(.*) ms\]");
        Assert.True(list.Success, "no phase times in: " + line);
        return list.Groups[1].Value.Split(", ").Select(p => p.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"checksum=(-?\d+)")]
    private static partial Regex ChecksumField();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int signal);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);
}
