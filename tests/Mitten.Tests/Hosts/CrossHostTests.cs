using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mitten.Tests.Runtime;
using Mitten.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Mitten.Tests.Hosts;

/// <summary>
/// Ranks moving between machines for real: every job runs over the namespace test hosts h1,
/// h2 (and h3) of scripts/hosts.sh, with Open MPI's TCP transport between them, a daemon per
/// host and a host name per host. Ranks 0 and 1 start on h1, ranks 2 and 3 on h2 (2 slots
/// each). Results are compared with an unmigrated run over the same hosts. Skipped (with the
/// reason) where the hosts cannot be made: without root or network namespaces.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class CrossHostTests(NamespaceHosts hosts, ITestOutputHelper output) : IClassFixture<NamespaceHosts>, IDisposable
{
    private const int Ranks = 4;

    // Long enough for two migrations by operator commands (3-7 s each here): 25-50 s over two hosts.
    private static readonly string[] LongTransit = ["transit", "--iterations", "300", "--compute-ms", "30"];

    private readonly MittenCli mitten = new();

    private static readonly Dictionary<string, MpiJob> Baselines = [];

    public void Dispose() => mitten.Dispose();

    private static string Driver => MpiJob.Driver("MittenDriver");

    /// <summary>A MittenDriver job over the hosts of <paramref name="hostFile"/> with plain mpiexec.</summary>
    private MpiJob RunOnHosts(string hostFile, int ranks, string arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 150) =>
        MpiJob.Run(ranks, Driver, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(timeoutSeconds),
            ["--hostfile", hostFile, "-x", "MITTEN_JOB_DIR"], hosts.JobEnvironment(environment));

    /// <summary>The same scenario over h1 and h2 without migrations (cached per argument string).</summary>
    private MpiJob Baseline(int ranks, string arguments)
    {
        string key = $"{ranks}:{arguments}";
        if (!Baselines.TryGetValue(key, out MpiJob? job))
        {
            job = RunOnHosts(hosts.TwoHosts, ranks, arguments);
            JobAssert.Succeeded(job, 2 * Math.Min(ranks, 1));
            Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
            Baselines[key] = job;
        }
        return job;
    }

    private long UnmigratedChecksum()
    {
        MpiJob reference = Baseline(Ranks, string.Join(' ', LongTransit));
        long[] sums = Checksums(reference);
        Assert.Equal(Ranks, sums.Length);
        Assert.Single(sums.Distinct());
        return sums[0];
    }

    [Fact]
    public void Ranks_1_and_0_move_from_h1_to_h2_with_the_unmigrated_results()
    {
        hosts.RequireHosts();
        const string scenario = "transit --iterations 12";
        MpiJob baseline = Baseline(Ranks, scenario);
        string jobDir = NewControlDirectory();
        MpiJob job = RunOnHosts(hosts.TwoHosts, Ranks, scenario + " --migrate 1@3:h2 --migrate 0@7:h2", new Dictionary<string, string> { ["MITTEN_JOB_DIR"] = jobDir });
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, 2 * Ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", Ranks);
        JobAssert.OkOnRanks(job, "in-order", Ranks);
        Assert.Equal(Results(baseline), Results(job));
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=1 "));
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=0 "));
        Assert.Matches(@"MIGRATION rank=1 migration \S+: rank 1 h1 -> h2 Committed", job.Stdout);
        Assert.Matches(@"MIGRATION rank=0 migration \S+: rank 0 h1 -> h2 Committed", job.Stdout);
        // The freeze's wait is reported apart, as a part of the protocol time, through the header to the
        // replacement that prints the report: across hosts the freeze is at least a round trip (never 0.00 ms).
        foreach (Match report in Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration .* protocol=([\d.]+)ms freeze_wait=([\d.]+)ms lock_wait=([\d.]+)ms"))
        {
            double protocol = double.Parse(report.Groups[1].Value, CultureInfo.InvariantCulture);
            double freezeWait = double.Parse(report.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(freezeWait > 0 && freezeWait <= protocol, report.Value);
        }
        Assert.Equal(Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration ").Count, Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration .* freeze_wait=[\d.]+ms").Count);
        // Where the processes really ran, as each reported its own host name: the replacements on h2.
        JsonObject locations = MittenCli.ReadJson(Path.Combine(jobDir, "locations.json"));
        Assert.Equal(["h2", "h2", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => (string?)locations[r.ToString()]!["host"] ?? "").ToArray());
        Assert.Equal(["h2", "h2", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => ReportedHost(jobDir, r)).ToArray());
    }

    [Fact]
    public void A_rank_blocked_on_a_partner_on_another_host_is_woken_and_its_receive_repeated()
    {
        hosts.RequireHosts();
        // 3 ranks: 0 and 1 on h1, 2 on h2. Rank 0 moves to h2 while rank 1 waits for it.
        const string scenario = "blocked --iterations 5 --compute-ms 300";
        MpiJob baseline = Baseline(3, scenario);
        MpiJob job = RunOnHosts(hosts.TwoHosts, 3, scenario + " --migrate 0@2:h2", new Dictionary<string, string> { ["MITTEN_TRACE"] = "1" });
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, 3);
        Assert.Equal(Results(baseline), Results(job));
        Assert.Matches(@"r1 pid\d+\] woken in Receive with 0 \(wake\); pending, repeated after the synchronization", job.Stderr);
        Assert.Matches(@"MIGRATION rank=0 migration \S+: rank 0 h1 -> h2 Committed", job.Stdout);
        // The freeze's wait is reported apart, as a part of the protocol time, through the header to the
        // replacement that prints the report: across hosts the freeze is at least a round trip (never 0.00 ms).
        foreach (Match report in Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration .* protocol=([\d.]+)ms freeze_wait=([\d.]+)ms lock_wait=([\d.]+)ms"))
        {
            double protocol = double.Parse(report.Groups[1].Value, CultureInfo.InvariantCulture);
            double freezeWait = double.Parse(report.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(freezeWait > 0 && freezeWait <= protocol, report.Value);
        }
        Assert.Equal(Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration ").Count, Regex.Matches(job.Stdout, @"MIGRATION rank=\d migration .* freeze_wait=[\d.]+ms").Count);
    }

    /// <summary>
    /// <c>mitten drain --host h1</c> moves ranks 0 and 1 to h2, whose 2 slots are already full
    /// (mitten run allows oversubscription, so the spawn onto a full host succeeds), and the
    /// job ends with the unmigrated results. While the group spans two nodes, no rank maps an
    /// osc/sm segment: the superstep window is served by osc/pt2pt across hosts.
    /// </summary>
    [Fact]
    public void Drain_h1_moves_every_rank_to_the_full_h2_and_the_job_verifies()
    {
        hosts.RequireHosts();
        long expected = UnmigratedChecksum();
        (Task<MpiJob> running, string dir, string id) = StartMittenJob(hosts.TwoHosts);
        Assert.Equal(["h1", "h1", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => ReportedHost(dir, r)).ToArray());
        foreach (int r in Enumerable.Range(0, Ranks))
        {
            Assert.Empty(SharedMemoryWindowSegments(RankPid(dir, r)));
        }

        MittenCli.Result drain = mitten.Run("drain", id, "--host", "h1", "--timeout", "120", "-v");
        output.WriteLine(drain.ToString());
        Assert.True(drain.ExitCode == 0, drain.ToString());
        Assert.Matches(@"moved rank 0 from h1 \(pid \d+\) to h2", drain.Stdout);
        Assert.Matches(@"moved rank 1 from h1 \(pid \d+\) to h2", drain.Stdout);
        // The ranks are on another host than mitten: they were reached through mpiexec.
        Assert.Contains("SIGUSR2 sent to mpiexec pid", drain.Stderr);

        MpiJob job = MittenCli.WaitForEnd(running);
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, 2 * Ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, Checksums(job).Length);
        Assert.Equal(["h2", "h2", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => ReportedHost(dir, r)).ToArray());
        JsonObject locations = MittenCli.ReadJson(Path.Combine(dir, "locations.json"));
        Assert.All(Enumerable.Range(0, Ranks), r => Assert.Equal("h2", (string?)locations[r.ToString()]!["host"]));
    }

    [Fact]
    public void The_failing_host_policy_drains_h1_by_itself_and_the_job_verifies()
    {
        hosts.RequireHosts();
        long expected = UnmigratedChecksum();
        (Task<MpiJob> running, string dir, _) = StartMittenJob(hosts.TwoHosts);
        File.WriteAllText(Path.Combine(dir, "failing", "h1"), "");

        MpiJob job = MittenCli.WaitForEnd(running);
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, 2 * Ranks);
        Assert.All(Checksums(job), sum => Assert.Equal(expected, sum));
        Assert.Equal(Ranks, Checksums(job).Length);
        List<JsonObject> journal = MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl"));
        Assert.Contains(journal, e => (string?)e["kind"] == "host_failing");
        Assert.Contains(journal, e => (string?)e["kind"] == "policy" && (string?)e["action"] == "drain_done");
        List<JsonObject> moves = journal.Where(e => (string?)e["kind"] == "migration").ToList();
        Assert.Equal([0, 1], moves.Select(m => (int)m["rank"]!).Order().ToArray());
        Assert.All(moves, m => Assert.Equal("committed", (string?)m["outcome"]));
        Assert.All(moves, m => Assert.Equal("h2", (string?)m["to"]!["host"]));
        Assert.Equal(["h2", "h2", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => ReportedHost(dir, r)).ToArray());
    }

    /// <summary>
    /// A rank on another host than <c>mitten</c> cannot be signalled directly; mitten signals
    /// the job's mpiexec, which forwards SIGUSR2 to every process on every host. The
    /// RuntimeDriver prints each SIGUSR2 it catches and, when it claims a request, how many it
    /// had caught: the claim must follow the signal, on a rank on h2.
    /// </summary>
    [Fact]
    public void Migrate_reaches_ranks_on_every_host_through_mpiexec()
    {
        hosts.RequireHosts();
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--host-file", hosts.TwoHosts, "--", MittenCli.Driver, "serve", "--seconds", "60"],
            timeoutSeconds: 120, hosts.JobEnvironment());
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);
        Assert.Equal(["h1", "h1", "h2", "h2"], Enumerable.Range(0, Ranks).Select(r => ReportedHost(dir, r)).ToArray());

        var clock = Stopwatch.StartNew();
        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "3", "--to", "h1", "--timeout", "30", "-v");
        clock.Stop();
        output.WriteLine(migrate + $"\n({clock.ElapsedMilliseconds} ms)");
        Assert.True(migrate.ExitCode == 3, "RuntimeDriver rejects (it has no migration layer)\n" + migrate);
        Assert.Contains("RuntimeDriver has no migration layer", migrate.Stderr);
        Assert.Contains("SIGUSR2 sent to mpiexec pid", migrate.Stderr);
        Assert.Contains("rank is on h2", migrate.Stderr);

        MpiJob job = MittenCli.Stop(dir, running);
        output.WriteLine(job.Describe());
        Assert.Equal(0, job.ExitCode);
        // Every rank on both hosts caught the signal (forwarded by the daemons on h1 and h2); rank 3 claimed the request.
        Assert.Equal(Enumerable.Range(0, Ranks).ToArray(),
            job.LinesStartingWith("SIGUSR2 rank=").Select(l => int.Parse(l)).Distinct().Order().ToArray());
        Assert.Matches(@"CLAIMED rank=3 migrate m\S+ ", job.Stdout);
    }

    /// <summary>
    /// A spawn onto a host outside the job's allocation (h3 is up, but not in this job's host
    /// file; the job is told it may use it through MITTEN_HOSTS) fails and rolls back; Open MPI
    /// 4.1's mpiexec then never exits. The ranks are not on mitten's machine, so the watchdog
    /// goes by their finished reports: mpiexec is stopped.
    /// </summary>
    [Fact]
    public void After_a_failed_spawn_across_hosts_mpiexec_does_not_outlive_the_ranks()
    {
        hosts.RequireHosts();
        var environment = hosts.JobEnvironment(new Dictionary<string, string> { ["MITTEN_HOSTS"] = "h3", ["MITTEN_STUCK_SECONDS"] = "3" });
        MpiJob job = mitten.Launch(["run", "-n", Ranks.ToString(), "--host-file", hosts.TwoHosts, "--", Driver,
            "transit", "--iterations", "12", "--migrate", "1@3:h3"], timeoutSeconds: 150, environment);
        output.WriteLine(job.Describe());
        Assert.False(job.TimedOut, "mitten run kept waiting for mpiexec\n" + job.Describe());
        Assert.Contains("spawning the replacement on 'h3' failed", job.Stderr);
        Assert.Matches(@"MIGRATION rank=1 migration \S+: rank 1 h1 -> h3 RolledBack", job.Stdout);
        Assert.True(job.Checks.Count >= 2 * Ranks && job.Checks.All(c => c.Ok), job.Describe());
        Assert.Equal(Ranks, job.LinesStartingWith("END ").Count());
        Assert.Contains("is still running (Open MPI 4.1 does this after a failed spawn); stopping it", job.Stderr);
        string dir = Directory.GetDirectories(mitten.JobsRoot).Single();
        Assert.Single(MittenCli.ReadJsonLines(Path.Combine(dir, "scheduler.jsonl")), e => (string?)e["kind"] == "mpiexec_stopped");
    }

    /// <summary>
    /// On one node the superstep window is served by osc/sm (each rank maps its shared-memory
    /// segment), and a migration within the node works; across nodes (the drain test) no rank maps one.
    /// </summary>
    [Fact]
    public void The_superstep_window_uses_shared_memory_only_when_the_group_is_on_one_node()
    {
        hosts.RequireHosts();
        (Task<MpiJob> running, string dir, string id) = StartMittenJob(hosts.OneHost, ranks: 2,
            ["transit", "--iterations", "250", "--compute-ms", "30"]);
        Assert.Equal(["h1", "h1"], Enumerable.Range(0, 2).Select(r => ReportedHost(dir, r)).ToArray());
        foreach (int r in Enumerable.Range(0, 2))
        {
            Assert.Single(SharedMemoryWindowSegments(RankPid(dir, r)), s => s.Contains(".h1.", StringComparison.Ordinal));
        }
        MittenCli.Result migrate = mitten.Run("migrate", id, "--rank", "1", "--to", "h1", "--timeout", "90");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        MpiJob job = MittenCli.WaitForEnd(running);
        JobAssert.Succeeded(job, 4);
        Assert.Single(Checksums(job).Distinct());
    }

    /// <summary>
    /// The destination's link goes down while a rank moves to it (h3: not a host of the group,
    /// so the group itself stays connected), once the group has synchronized, before the spawn.
    /// The test demands a definite end within the job's time limit: the job completing with
    /// the migration rolled back and correct results, or the job failing; not hanging. Today:
    /// the migrating rank waits in MPI_Comm_spawn until the protocol's spawn deadline (120 s)
    /// ends the job with MPI_Abort (a job_failed event); mpiexec, which cannot reach h3's
    /// daemon, then does not exit by itself, and mitten run's watchdog stops it.
    /// </summary>
    [Fact]
    public void The_destination_link_going_down_during_a_migration_ends_in_a_definite_outcome()
    {
        hosts.RequireHosts();
        // The protocol gives a spawn 120 s before it ends the job (MPI_Abort); mitten run then stops
        // an mpiexec that does not end (MITTEN_STUCK_SECONDS after the job_failed event).
        const int limitSeconds = 200;
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", Ranks.ToString(), "--host-file", hosts.ThreeHosts, "--", Driver, .. LongTransit],
            timeoutSeconds: limitSeconds, hosts.JobEnvironment(new Dictionary<string, string> { ["MITTEN_STUCK_SECONDS"] = "5" }));
        string dir = mitten.WaitForJobDirectory(running);
        string id = Path.GetFileName(dir);
        MittenCli.WaitForRanks(dir, Ranks, running);
        MittenCli.Result? migrate = null;
        MpiJob job;
        try
        {
            Task<MittenCli.Result> migrating = Task.Run(() => mitten.Run("migrate", id, "--rank", "1", "--to", "h3", "--timeout", "50"));
            string events = Path.Combine(dir, "events.jsonl");
            MittenCli.WaitUntil(() => File.Exists(events) && File.ReadAllText(events).Contains("\"synchronized\"", StringComparison.Ordinal),
                "the migration to synchronize");
            NamespaceHosts.SetLink("h3", up: false);
            migrate = Finished(migrating);
            output.WriteLine(migrate.ToString());
        }
        finally
        {
            job = MittenCli.WaitForEnd(running);
            NamespaceHosts.SetLink("h3", up: true);
            output.WriteLine(job.Describe());
        }
        string phases = File.Exists(Path.Combine(dir, "events.jsonl"))
            ? string.Join(", ", MittenCli.ReadJsonLines(Path.Combine(dir, "events.jsonl")).Select(e => $"{e["event"]} (rank {e["rank"]})"))
            : "none";
        Assert.False(job.TimedOut, $"the job hung: still running {limitSeconds} s after it started, killed; migrate: exit {migrate?.ExitCode} " +
                                   $"{migrate?.Stderr.Trim()}; the job's events: {phases}");
        if (job.ExitCode == 0)
        {
            // Completed: the move must have rolled back and the results be right.
            Assert.True(migrate?.ExitCode == 2, "the job completed, so the migration must have rolled back\n" + migrate);
            Assert.True(job.Checks.Count >= 2 * Ranks && job.Checks.All(c => c.Ok), job.Describe());
            Assert.All(Checksums(job), sum => Assert.Equal(UnmigratedChecksum(), sum));
        }
    }

    // ---------------------------------------------------------------------------------------

    /// <summary>Starts <c>mitten run</c> of the MittenDriver over <paramref name="hostFile"/> and waits until every rank reported.</summary>
    private (Task<MpiJob> Running, string Dir, string Id) StartMittenJob(string hostFile, int ranks = Ranks, string[]? arguments = null)
    {
        Task<MpiJob> running = mitten.LaunchInBackground(["run", "-n", ranks.ToString(), "--host-file", hostFile, "--", Driver, .. arguments ?? LongTransit],
            timeoutSeconds: 240, hosts.JobEnvironment());
        string dir = mitten.WaitForJobDirectory(running);
        MittenCli.WaitForRanks(dir, ranks, running);
        return (running, dir, Path.GetFileName(dir));
    }

    private static T Finished<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private string NewControlDirectory()
    {
        string dir = Path.Combine(mitten.Home, "job-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The osc/sm segments (/dev/shm/osc_sm.HOST...) a process has mapped.</summary>
    private static List<string> SharedMemoryWindowSegments(int pid) =>
        File.ReadAllLines($"/proc/{pid}/maps").Where(l => l.Contains("/osc_sm.", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf('/', StringComparison.Ordinal)..]).Distinct().ToList(); // the path, perhaps with " (deleted)"

    private static string ReportedHost(string dir, int rank) => (string?)MittenCli.ReadJson(Path.Combine(dir, "ranks", $"{rank}.json"))["host"] ?? "";

    private static int RankPid(string dir, int rank) => (int)MittenCli.ReadJson(Path.Combine(dir, "ranks", $"{rank}.json"))["pid"]!;

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => ReceivedPart().Replace(m.Value.Trim(), "")).OrderBy(s => s, StringComparer.Ordinal).ToList();

    private static long[] Checksums(MpiJob job) =>
        job.LinesStartingWith("RESULT ").Select(l => long.Parse(ChecksumField().Match(l).Groups[1].Value)).ToArray();

    [GeneratedRegex(@"RESULT rank=\d+ \S+(?: \S+)?")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@" received=\d+")]
    private static partial Regex ReceivedPart();

    [GeneratedRegex(@"checksum=(-?\d+)")]
    private static partial Regex ChecksumField();
}
