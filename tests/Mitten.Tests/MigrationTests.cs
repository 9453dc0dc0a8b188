using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Live migration under real mpiexec jobs (MittenDriver): results must equal an unmigrated
/// run's, every message is delivered exactly once in per-sender order, and failures roll back.
/// </summary>
public partial class MigrationTests
{
    private static MpiJob Run(int ranks, string arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 120,
        IEnumerable<string>? mpiexecOptions = null) =>
        MpiJob.Run(ranks, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            TimeSpan.FromSeconds(timeoutSeconds), mpiexecOptions, environment);

    private static readonly Dictionary<string, MpiJob> Baselines = [];

    /// <summary>The same scenario without migrations (cached per argument string).</summary>
    private static MpiJob Baseline(int ranks, string arguments)
    {
        string key = $"{ranks}:{arguments}";
        if (!Baselines.TryGetValue(key, out MpiJob? job))
        {
            job = Run(ranks, arguments);
            JobAssert.Clean(job, 2 * ranks);
            Baselines[key] = job;
        }
        return job;
    }

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => m.Value.Trim()).OrderBy(s => s, StringComparer.Ordinal).ToList();

    private static void SameResults(MpiJob expected, MpiJob actual)
    {
        var want = Results(expected).Select(l => ReceivedPart().Replace(l, "")).ToList();
        var got = Results(actual).Select(l => ReceivedPart().Replace(l, "")).ToList();
        Assert.True(want.Count > 0 && want.SequenceEqual(got),
            $"results differ from the unmigrated run\nexpected:\n{string.Join("\n", want)}\nactual:\n{string.Join("\n", got)}\n{actual.Describe()}");
    }

    [Fact]
    public void Repeated_migrations_of_several_ranks_including_rank_0_give_the_unmigrated_result()
    {
        const string scenario = "transit --iterations 12";
        var baseline = Baseline(4, scenario);
        var job = Run(4, scenario + " --migrate 1@2 --migrate 1@5 --migrate 0@7 --migrate 3@9");
        JobAssert.Clean(job, 8);
        JobAssert.OkOnRanks(job, "all-delivered-once", 4);
        JobAssert.OkOnRanks(job, "in-order", 4);
        SameResults(baseline, job);
        // Rank 1 twice (the second time its replacement moves again), rank 0, rank 3.
        Assert.Equal(4, job.LinesStartingWith("REPLACEMENT ").Count());
        Assert.Equal(2, job.LinesStartingWith("REPLACEMENT rank=1 ").Count());
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=0 "));
        // The old processes really left: every final pid differs from the starting one.
        var start = job.LinesStartingWith("START ").ToDictionary(l => l.Split(' ')[0], l => l.Split(' ')[1]);
        var end = job.LinesStartingWith("END ").ToDictionary(l => l.Split(' ')[0], l => l.Split(' ')[1]);
        foreach (string rank in new[] { "rank=0", "rank=1", "rank=3" })
        {
            Assert.NotEqual(start[rank], end[rank]);
        }
        Assert.Equal(start["rank=2"], end["rank=2"]);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 0)]
    public void Messages_in_transit_in_both_directions_are_delivered_exactly_once_in_order(int ranks, int migrating)
    {
        string scenario = "transit --iterations 6";
        var baseline = Baseline(ranks, scenario);
        var job = Run(ranks, scenario + $" --migrate {migrating}@3");
        JobAssert.Clean(job, 2 * ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", ranks);
        SameResults(baseline, job);
        string report = Assert.Single(job.LinesStartingWith($"MIGRATION rank={migrating} "));
        Assert.Contains("Committed", report);
        // Messages were in flight: state moved includes the drained communication state.
        Assert.Matches(@"synchronized=[\d.]+ms spawned=[\d.]+ms state_sent=[\d.]+ms restored=[\d.]+ms committed=[\d.]+ms resumed=[\d.]+ms", report);
    }

    /// <summary>
    /// The blocked scenario (rank 1 waits for a message rank 0 sends only after its next migration
    /// point) with rank 0 moved at iteration 2, traced: same results as without the move, and rank 1,
    /// blocked in its receive from rank 0, woken and its receive repeated.
    /// </summary>
    private static MpiJob BlockedWhileMoving(string options, string? interruptibleWait = null)
    {
        string scenario = "blocked --iterations 5 --compute-ms 300" + options;
        var baseline = Run(3, scenario);
        JobAssert.Clean(baseline, 3);
        var environment = new Dictionary<string, string> { ["MITTEN_TRACE"] = "1" };
        if (interruptibleWait is not null)
        {
            environment["MITTEN_INTERRUPTIBLE_WAIT"] = interruptibleWait;
        }
        var job = Run(3, scenario + " --migrate 0@2", environment);
        JobAssert.Succeeded(job, 3);
        Assert.Equal(Results(baseline), Results(job));
        Assert.Contains("MIGRATION rank=0 ", job.Stdout);
        Assert.Matches(@"r1 pid\d+\] woken in Receive with 0 \(wake\); pending, repeated after the synchronization", job.Stderr);
        return job;
    }

    /// <summary>With Open MPI on x86-64 a blocked receive waits in MPI_Wait, which only the progress hook can interrupt.</summary>
    private static bool HookExpected => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    [Fact]
    public void A_rank_blocked_on_a_partner_stopped_at_the_synchronization_point_is_woken_and_its_receive_repeated()
    {
        var job = BlockedWhileMoving("");
        if (HookExpected)
        {
            Assert.Matches(@"r1 pid\d+\] receive from 0 interrupted in MPI_Wait by the SYNC flag \(progress hook; [1-9]\d* so far\)", job.Stderr);
        }
    }

    [Fact]
    public void A_rank_blocked_in_a_request_wait_is_interrupted_by_the_flag_and_its_receive_posted_again()
    {
        var job = BlockedWhileMoving(" --irecv");
        if (HookExpected)
        {
            Assert.Matches(@"r1 pid\d+\] wait for a receive from 0 interrupted in MPI_Wait by the SYNC flag \(progress hook; [1-9]\d* so far\)", job.Stderr);
        }
    }

    [Fact]
    public void With_the_interruptible_wait_turned_off_a_blocked_rank_polls_and_is_woken_the_same_way()
    {
        var job = BlockedWhileMoving("", interruptibleWait: "0");
        Assert.DoesNotContain("interrupted in MPI_Wait", job.Stderr);
        Assert.DoesNotContain("progress hook installed", job.Stderr);
    }

    [Fact]
    public void Other_ranks_keep_communicating_while_one_migrates()
    {
        var job = Run(4, "transit --iterations 8 --compute-ms 150 --delay-rank 1 --delay-ms 60 --migrate 1@3",
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_DRIVER_EVENTS"] = "1" });
        JobAssert.Succeeded(job, 8);
        string taken = Regex.Match(job.Stderr, @"\[mitten (\d\d:\d\d:\d\d\.\d\d\d) r1 pid\d+\] request \S+ taken").Groups[1].Value;
        string resumed = Regex.Match(job.Stdout, @"REPLACEMENT rank=1 .* t=(\d\d:\d\d:\d\d\.\d\d\d)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(taken) || string.IsNullOrEmpty(resumed), job.Describe());
        var during = Regex.Matches(job.Stdout, @"OP t=(\S+) rank=(\d) op=(\w+)")
            .Where(m => m.Groups[2].Value != "1" && string.CompareOrdinal(m.Groups[1].Value, taken) > 0 && string.CompareOrdinal(m.Groups[1].Value, resumed) < 0)
            .Select(m => m.Groups[3].Value).ToHashSet();
        Assert.True(during.Contains("recv") && during.Contains("allreduce"),
            $"between {taken} (request taken) and {resumed} (replacement resumed) the other ranks did: {string.Join(",", during)}\n{job.Describe()}");
    }

    [Fact]
    public void Migration_to_an_unknown_host_rolls_back_and_the_job_completes()
    {
        const string scenario = "transit --iterations 6";
        var baseline = Baseline(3, scenario);
        var job = Run(3, scenario + " --migrate 1@2:no-such-host.invalid");
        JobAssert.Succeeded(job, 6);
        SameResults(baseline, job);
        Assert.Contains("rolled back: host 'no-such-host.invalid' is not one of the job's hosts", job.Stderr);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
    }

    [Fact]
    public void A_replacement_that_dies_before_the_commit_rolls_back_and_nothing_is_lost()
    {
        const string scenario = "transit --iterations 6";
        var baseline = Baseline(3, scenario);
        // By default mpiexec ends the whole job when any process exits non-zero; with this
        // setting the job survives a failed replacement and Mitten rolls the migration back.
        var job = Run(3, scenario + " --migrate 2@2",
            new Dictionary<string, string> { ["MITTEN_TEST_REPLACEMENT_FAULT"] = "die-before-restore" },
            mpiexecOptions: ["--mca", "orte_abort_on_non_zero_status", "0"]);
        JobAssert.Succeeded(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(baseline, job);
        Assert.Matches(@"rank 2: migration \d+ rolled back: the replacement \(process \d+\) died before restore_complete", job.Stderr);
    }

    [Fact]
    public void Bad_requests_are_refused_with_a_clear_message_and_the_job_goes_on()
    {
        var job = Run(3, "requests");
        JobAssert.Clean(job, 3 * 4);
        foreach (string name in new[] { "no-such-rank", "negative-rank", "bad-host", "still-running" })
        {
            JobAssert.OkOnRanks(job, name, 3);
        }
        Assert.Contains("rank 6 does not exist (the group has ranks 0..2)", job.Stdout);
    }

    [Theory]
    [InlineData(5, 11, "")]
    [InlineData(6, 23, "")]
    [InlineData(5, 7, " --irecv")]
    public void Randomized_migrations_lose_duplicate_and_reorder_nothing(int ranks, int seed, string receives)
    {
        string scenario = "transit --iterations 10" + receives;
        var baseline = Baseline(ranks, scenario);
        var job = Run(ranks, scenario + $" --seed {seed} --random-migrations 3", timeoutSeconds: 180);
        JobAssert.Clean(job, 2 * ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", ranks);
        JobAssert.OkOnRanks(job, "in-order", ranks);
        SameResults(baseline, job);
        Assert.True(job.LinesStartingWith("REPLACEMENT ").Any(), "no migration happened\n" + job.Describe());
    }

    [Fact]
    public void Non_blocking_receives_with_wildcard_tags_get_every_message_once_in_order_across_migrations()
    {
        // Every receive of an iteration is posted at once (wildcard and exact tags alternating,
        // some rendezvous-sized) and waited for in reverse order; a rank waiting in one of them
        // is woken, its posted receives are cancelled before the drain (a wildcard-tag receive
        // can take a peer's drain marker) and posted again on the new group in their order.
        const string scenario = "transit --iterations 8 --irecv";
        var baseline = Baseline(4, scenario);
        var job = Run(4, scenario + " --migrate 1@2 --migrate 0@4 --migrate 3@6 --compute-ms 40 --delay-rank 2 --delay-ms 30");
        JobAssert.Clean(job, 8);
        JobAssert.OkOnRanks(job, "all-delivered-once", 4);
        JobAssert.OkOnRanks(job, "in-order", 4);
        SameResults(baseline, job);
        Assert.Equal(3, job.LinesStartingWith("REPLACEMENT ").Count());
    }

    [Fact]
    public void Receives_outstanding_across_a_migration_point_are_posted_again_on_the_new_group()
    {
        // Ranks 0 and 2 post the ring token's receive before their migration point and wait for
        // it after; rank 1 moves meanwhile, and its replacement sends the next token to rank 2.
        const string scenario = "transit --iterations 6 --token-across-except 1";
        var baseline = Baseline(3, scenario);
        var job = Run(3, scenario + " --migrate 1@2 --migrate 1@4");
        JobAssert.Clean(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(baseline, job);
        Assert.Equal(2, job.LinesStartingWith("REPLACEMENT rank=1 ").Count());
    }

    [Fact]
    public void A_rank_with_a_receive_outstanding_at_its_migration_point_is_not_moved_and_says_why()
    {
        const string scenario = "transit --iterations 6 --token-across-except -1";
        var baseline = Baseline(3, scenario);
        var job = Run(3, scenario + " --migrate 1@2");
        JobAssert.Succeeded(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(baseline, job);
        Assert.Contains("rolled back: rank 1 has 1 non-blocking receive(s) not yet waited for at its migration point", job.Stderr);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
    }

    /// <summary>Early markers on (off by default) and the trace that says they were sent.</summary>
    private static readonly Dictionary<string, string> Traced = new() { ["MITTEN_EARLY_MARKERS"] = "1", ["MITTEN_TRACE"] = "1" };

    private const string EarlyMarkersSent = "early markers sent to the leader";

    /// <summary>
    /// Early markers (MITTEN_EARLY_MARKERS=1, docs/PROTOCOL.md step 4): stopped ranks send the leader their
    /// markers when they stop. A commit delivers every message once in order, with the leader's
    /// drain taking the early ones; an abort before the drain (the moving rank has a receive
    /// outstanding) takes them before resuming, so none reaches the application (which would fail
    /// the job: "drain marker arrived outside a synchronization") and the job's result is the
    /// unmigrated one; the aborted leader then stops for another rank's migration, which commits,
    /// and its drain there must find that migration's markers, not the aborted one's (wildcard-tag
    /// receives follow); a rank blocked on a stopped partner is still woken. The trace says the
    /// early path was taken.
    /// </summary>
    [Fact]
    public void Early_markers_commit_and_abort_deliver_every_message_once_in_order()
    {
        const string transit = "transit --iterations 6";
        var job = Run(3, transit + " --migrate 1@3", Traced);
        JobAssert.Succeeded(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(Baseline(3, transit), job);
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Contains(EarlyMarkersSent, job.Stderr);

        const string outstanding = "transit --iterations 6 --token-across-except -1";
        var aborted = Run(3, outstanding + " --migrate 1@2 --migrate 1@4", Traced);
        JobAssert.Succeeded(aborted, 6);
        JobAssert.OkOnRanks(aborted, "all-delivered-once", 3);
        SameResults(Baseline(3, outstanding), aborted);
        Assert.Contains("rolled back: rank 1 has 1 non-blocking receive(s) not yet waited for at its migration point", aborted.Stderr);
        Assert.Contains(EarlyMarkersSent, aborted.Stderr);

        // Rank 1 (token receive outstanding) aborts as leader; rank 2 (posts its token after the point) then commits.
        const string thenCommit = "transit --iterations 8 --token-across-except 2";
        var abortThenCommit = Run(3, thenCommit + " --migrate 1@2 --migrate 2@5", Traced);
        JobAssert.Succeeded(abortThenCommit, 6);
        JobAssert.OkOnRanks(abortThenCommit, "all-delivered-once", 3);
        SameResults(Baseline(3, thenCommit), abortThenCommit);
        Assert.Contains("rolled back: rank 1 has 1 non-blocking receive(s) not yet waited for at its migration point", abortThenCommit.Stderr);
        Assert.Contains("Committed", Assert.Single(abortThenCommit.LinesStartingWith("MIGRATION rank=2 ")));

        const string blocked = "blocked --iterations 5 --compute-ms 300";
        var woken = Run(3, blocked + " --migrate 0@2", Traced);
        JobAssert.Succeeded(woken, 3);
        Assert.Equal(Results(Run(3, blocked)), Results(woken));
        Assert.Contains("MIGRATION rank=0 ", woken.Stdout);
    }

    /// <summary>With MITTEN_EARLY_MARKERS=0 (the default) every rank's drain sends the leader its markers after MIG_END.</summary>
    [Fact]
    public void Without_early_markers_a_commit_delivers_every_message_once_in_order()
    {
        const string transit = "transit --iterations 6";
        var job = Run(3, transit + " --migrate 1@3", new Dictionary<string, string> { ["MITTEN_EARLY_MARKERS"] = "0", ["MITTEN_TRACE"] = "1" });
        JobAssert.Succeeded(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(Baseline(3, transit), job);
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.DoesNotContain(EarlyMarkersSent, job.Stderr);
    }

    [GeneratedRegex(@"RESULT rank=\d+ \S+(?: \S+)?")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@" received=\d+")]
    private static partial Regex ReceivedPart();
}

/// <summary>Coordinated checkpoint at Mitten's global superstep, a killed job, and a restart.</summary>
public class CheckpointRestartTests
{
    [Fact]
    public void A_job_killed_after_a_checkpoint_restarts_from_it_and_ends_with_the_uninterrupted_result()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mitten-ckpt-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string driver = MpiJob.Driver("MittenDriver");
            var uninterrupted = MpiJob.Run(3, driver, ["transit", "--iterations", "10"]);
            JobAssert.Clean(uninterrupted, 6);
            var crashed = MpiJob.Run(3, driver, ["transit", "--iterations", "10", "--checkpoint", "3:" + directory, "--crash-at", "6"],
                TimeSpan.FromSeconds(90));
            Assert.NotEqual(0, crashed.ExitCode);
            Assert.Contains("CRASH rank=", crashed.Stdout);
            Assert.True(File.Exists(Path.Combine(directory, "1", "manifest")), "no complete epoch was written\n" + crashed.Describe());
            var restarted = MpiJob.Run(3, driver, ["transit", "--iterations", "10"],
                environment: new Dictionary<string, string> { ["MITTEN_RESTART_DIR"] = directory });
            JobAssert.Succeeded(restarted, 6);
            Assert.Equal(3, restarted.LinesStartingWith("RESTARTED ").Count());
            Assert.Contains("restarted from checkpoint epoch 1", restarted.Stderr);
            static IEnumerable<string> Checksums(MpiJob job) => job.LinesStartingWith("RESULT ").Select(l => l.Split(' ')[1]).Order();
            Assert.Equal(Checksums(uninterrupted), Checksums(restarted));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
