using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Warm spares (MITTEN_SPARES, docs/PROTOCOL.md "Warm spares") under real mpiexec jobs of the
/// MittenDriver: a migration to a host with a free spare takes it instead of spawning (the
/// MIGRATION line then has spare_taken, not spawned) and gives the unmigrated result; without a
/// free spare it spawns; unused spares leave at the end; a dead spare is skipped.
/// </summary>
public partial class SpareTests
{
    private const string Scenario = "transit --iterations 6 --compute-ms 50";

    private static MpiJob Run(int ranks, string arguments, int spares, IDictionary<string, string>? extra = null,
        IEnumerable<string>? mpiexecOptions = null, int timeoutSeconds = 120)
    {
        var environment = new Dictionary<string, string>(extra ?? new Dictionary<string, string>());
        if (spares > 0)
        {
            environment["MITTEN_SPARES"] = spares.ToString();
        }
        return MpiJob.Run(ranks, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            TimeSpan.FromSeconds(timeoutSeconds), mpiexecOptions, environment);
    }

    private static MpiJob? baseline;

    private static MpiJob Baseline()
    {
        baseline ??= Run(3, Scenario, spares: 0);
        JobAssert.Clean(baseline, 6);
        return baseline;
    }

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => ReceivedPart().Replace(m.Value.Trim(), "")).Order(StringComparer.Ordinal).ToList();

    private static void SameResults(MpiJob actual)
    {
        List<string> want = Results(Baseline()), got = Results(actual);
        Assert.True(want.Count == 3 && want.SequenceEqual(got),
            $"results differ from the unmigrated run\nexpected:\n{string.Join("\n", want)}\nactual:\n{string.Join("\n", got)}\n{actual.Describe()}");
    }

    /// <summary>Processes still running this worktree's driver (a spare that did not leave would be one).</summary>
    private static List<int> DriverProcesses()
    {
        string driver = MpiJob.Driver("MittenDriver");
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(driver))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [Fact]
    public void A_migration_to_a_host_with_a_spare_takes_it_and_gives_the_unmigrated_result()
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1);
        JobAssert.Clean(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("Committed", report);
        // By default the spare is taken after the drain (MITTEN_EARLY_STATE off, Steps/EarlyState.cs).
        Assert.Matches(@"stopped=[\d.]+ms synchronized=[\d.]+ms spare_taken=[\d.]+ms state_sent=[\d.]+ms restored=[\d.]+ms committed=[\d.]+ms resumed=[\d.]+ms", report);
        Assert.DoesNotContain("spawned=", report);
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=1 "));
    }

    [Fact]
    public void A_second_migration_after_the_only_spare_was_taken_spawns_and_both_commit()
    {
        // Replenishing off (SpareTests.Replenish.cs has it on): the used spare is not replaced.
        var job = Run(3, Scenario + " --migrate 1@2 --migrate 2@4", spares: 1, new Dictionary<string, string> { ["MITTEN_SPARE_REPLENISH"] = "0" });
        JobAssert.Clean(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        string first = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        string second = Assert.Single(job.LinesStartingWith("MIGRATION rank=2 "));
        Assert.Contains("spare_taken=", first);
        Assert.DoesNotContain("spawned=", first);
        Assert.Contains("spawned=", second);
        Assert.DoesNotContain("spare_taken=", second);
    }

    [Fact]
    public void A_replacement_taken_from_the_spares_can_move_again_with_the_next_spare()
    {
        // Rank 1 moves to spare 0; its replacement (the former spare) moves again and takes spare 1.
        var job = Run(3, Scenario + " --migrate 1@2 --migrate 1@4", spares: 2);
        JobAssert.Clean(job, 6);
        SameResults(job);
        // Two replacements of rank 1; the last one reports the second migration (its predecessor's
        // report left with it), which found the second spare: the first had taken the other.
        Assert.Equal(2, job.LinesStartingWith("REPLACEMENT rank=1 ").Count());
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("spare_taken=", report);
    }

    private static readonly Dictionary<string, string> Trace = new() { ["MITTEN_TRACE"] = "1" };

    /// <summary>The trace with prepared groups off (SpareTests.Prepared.cs has them on): the pool's MPI_Comm_create_group path.</summary>
    private static readonly Dictionary<string, string> TraceWithoutPreparedGroups = new() { ["MITTEN_TRACE"] = "1", ["MITTEN_PREPARED_GROUPS"] = "0" };

    [Fact]
    public void A_spare_is_taken_over_its_pool_and_the_new_group_is_made_without_connect_and_accept()
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, TraceWithoutPreparedGroups);
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.DoesNotContain("prepared group", job.Stderr);
        Assert.DoesNotContain("prepared intercomm", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] took spare 0 \(process \d+ on \S+\): doorbell [\d.]+ ms, intercomm over pool [\d.]+ ms", job.Stderr);
        // Every staying rank made the new group from the pool, and so did the replacement.
        Assert.Matches(@"r0 pid\d+\] new group from spare pool 0 in [\d.]+ ms", job.Stderr);
        Assert.Matches(@"r2 pid\d+\] new group from spare pool 0 in [\d.]+ ms", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] replacement: joined the new group \(spare pool\)", job.Stderr);
        Assert.DoesNotContain("connect/accept", job.Stderr);
    }

    [Fact]
    public void With_spare_pools_off_a_spare_is_taken_with_connect_and_accept()
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_SPARE_POOLS"] = "0" });
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Matches(@"r1 pid\d+\] took spare 0 \(process \d+ on \S+\): doorbell [\d.]+ ms, connect [\d.]+ ms", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] replacement: joined the new group \(connect/accept\)", job.Stderr);
        Assert.DoesNotContain("new group from spare pool", job.Stderr);
    }

    [Fact]
    public void Two_migrations_of_different_ranks_both_take_a_spare_over_the_pool()
    {
        // Rank 1 takes spare 0; then rank 2 takes spare 1: the new group of the second migration
        // holds the first one's replacement, a member of the same pool, so it is made from the pool too.
        var job = Run(3, Scenario + " --migrate 1@2 --migrate 2@4", spares: 2, TraceWithoutPreparedGroups);
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=2 ")));
        Assert.Equal(2, Regex.Matches(job.Stderr, @"took spare \d \(process \d+ on \S+\): doorbell [\d.]+ ms, intercomm over pool").Count);
        Assert.Equal(2, Regex.Matches(job.Stderr, @"r0 pid\d+\] new group from spare pool 0").Count);
        Assert.Equal(2, Regex.Matches(job.Stderr, @"replacement: joined the new group \(spare pool\)").Count);
    }

    [Fact]
    public void Derived_communicators_are_rebuilt_on_a_group_made_from_the_pool()
    {
        // MittenDriver's derived scenario (row/column splits, a dup, a sub-split, freed ones) on
        // 4 ranks; three migrations, each taking a spare over the pool, the third one of a
        // former spare; the derived communicators are made again on every new group: the first
        // is a group prepared at start (SpareTests.Prepared.cs), the others are made from the pool.
        const string derived = "derived --iterations 8";
        var expected = Run(4, derived, spares: 0, timeoutSeconds: 240);
        JobAssert.Succeeded(expected, 5 * 4);
        var job = Run(4, derived + " --migrate 1@1 --migrate 2@3 --migrate 1@5", spares: 3, Trace, timeoutSeconds: 240);
        JobAssert.Succeeded(job, 5 * 4); // stderr has the trace
        JobAssert.OkOnRanks(job, "derived-ok", 4);
        Assert.Equal(ResultLine().Matches(expected.Stdout).Select(m => m.Value).Order(StringComparer.Ordinal),
            ResultLine().Matches(job.Stdout).Select(m => m.Value).Order(StringComparer.Ordinal));
        Assert.Equal(3, Regex.Matches(job.Stderr, @"took spare \d \(process \d+ on \S+\): doorbell [\d.]+ ms, (intercomm over pool|prepared intercomm)").Count);
        Assert.Single(Regex.Matches(job.Stderr, @"replacement: joined the new group \(prepared group\)"));
        Assert.Equal(2, Regex.Matches(job.Stderr, @"replacement: joined the new group \(spare pool\)").Count);
        Assert.Matches(@"r0 pid\d+\] new group installed: prepared group \(spare 4 of pool 0\)", job.Stderr);
    }

    [Fact]
    public void Unused_spares_leave_at_the_end_and_mpiexec_exits()
    {
        Assert.Empty(DriverProcesses());
        var job = Run(3, Scenario, spares: 2, timeoutSeconds: 90);
        JobAssert.Clean(job, 6);
        SameResults(job);
        Assert.Empty(job.LinesStartingWith("MIGRATION "));
        Assert.Empty(DriverProcesses());
    }

    [Fact]
    public void A_spare_killed_before_the_migration_is_skipped_and_the_rank_is_spawned()
    {
        // Under mpiexec's defaults a process killed by a signal ends the whole job (as for any
        // rank); with orte_abort_on_non_zero_status 0 the job goes on without the spare. Open
        // MPI 4.1's mpiexec then outlives the ranks (as after a killed replacement, see
        // FaultTests): the job's own work is checked, not mpiexec's exit.
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1,
            new Dictionary<string, string> { ["MITTEN_TEST_FAULT"] = "spare:ready:kill" },
            mpiexecOptions: ["--mca", "orte_abort_on_non_zero_status", "0"], timeoutSeconds: 60);
        Assert.Matches(@"rank 1: spare 0 \(process \d+ on \S+\) skipped: its doorbell on \S+ cannot be reached", job.Stderr);
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("Committed", report);
        Assert.Contains("spawned=", report);
        Assert.Equal(6, job.Checks.Count);
        Assert.All(job.Checks, c => Assert.True(c.Ok, c.Line));
        SameResults(job);
    }

    [Fact]
    public void A_spare_taken_as_replacement_that_fails_its_restore_rolls_back()
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, new Dictionary<string, string> { ["MITTEN_DRIVER_CODEC_FAULT"] = "restore" });
        JobAssert.Succeeded(job, 6);
        SameResults(job);
        Assert.Matches(@"rank 1: migration \d+ rolled back: the replacement could not restore the state: InvalidOperationException: test fault", job.Stderr);
        Assert.Contains("leaves: restoring the state failed", job.Stderr);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Mitten_run_with_spares_starts_them_and_the_migration_takes_one()
    {
        using var mitten = new global::Mitten.Tests.Runtime.MittenCli();
        var job = mitten.Launch(["run", "-n", "3", "--spares", "1", "--", MpiJob.Driver("MittenDriver"), .. (Scenario + " --migrate 1@3").Split(' ')], timeoutSeconds: 120,
            new Dictionary<string, string> { ["MITTEN_SPARE_REPLENISH"] = "0" });
        JobAssert.Succeeded(job, 6);
        SameResults(job);
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("spare_taken=", report);
        // The caller's MITTEN_* settings are exported to the ranks on every host (mpiexec -x).
        string command = Assert.Single((job.Stdout + job.Stderr).Split('\n'), l => l.Contains("mpiexec pid", StringComparison.Ordinal));
        Assert.Contains("-x MITTEN_SPARES ", command);
        Assert.Contains("-x MITTEN_SPARE_REPLENISH ", command);
        string dir = Assert.Single(Directory.GetDirectories(mitten.JobsRoot));
        var events = global::Mitten.Tests.Runtime.MittenCli.ReadJsonLines(Path.Combine(dir, "events.jsonl"));
        var spawned = Assert.Single(events, e => (string?)e["event"] == "spawned");
        Assert.Equal("spare", (string?)spawned["replacement"]);
        Assert.Empty(DriverProcesses());
    }

    [GeneratedRegex(@"RESULT rank=\d+ \S+(?: \S+)?")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@" received=\d+")]
    private static partial Regex ReceivedPart();
}
