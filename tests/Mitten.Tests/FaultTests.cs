using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The fault matrix of the migration protocol (docs/PROTOCOL.md, "Deadlines"): a participant
/// killed or stopped at a named step, or a state codec that throws, must end in the documented
/// outcome in bounded time, and mpiexec must exit. Rolled-back jobs must still give the
/// unmigrated result. The limits are shortened so each case takes seconds.
/// </summary>
public partial class FaultTests
{
    private const string Scenario = "transit --iterations 6 --compute-ms 50";

    private static readonly Dictionary<string, string> ShortLimits = new()
    {
        ["MITTEN_STEP_TIMEOUT_SECONDS"] = "4",
        ["MITTEN_SYNC_TIMEOUT_SECONDS"] = "15",
        ["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "8",
        ["MITTEN_COMMIT_TIMEOUT_SECONDS"] = "6",
    };

    private static MpiJob Run(string arguments, IDictionary<string, string>? extra = null, IEnumerable<string>? mpiexecOptions = null, int ranks = 3)
    {
        var environment = new Dictionary<string, string>(ShortLimits);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            environment[k] = v;
        }
        return MpiJob.Run(ranks, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            TimeSpan.FromSeconds(100), mpiexecOptions, environment);
    }

    private static MpiJob? baseline;

    private static MpiJob Baseline()
    {
        baseline ??= Run(Scenario);
        JobAssert.Clean(baseline, 6);
        return baseline;
    }

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => m.Value.Trim()).Order(StringComparer.Ordinal).ToList();

    private static void RolledBackWithTheSameResult(MpiJob job, string reason)
    {
        JobAssert.Succeeded(job, 6);
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        Assert.Equal(Results(Baseline()), Results(job));
        Assert.Matches(@"rank 1: migration \d+ rolled back: " + reason, job.Stderr);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
    }

    /// <summary>The job ended (not hung): mpiexec exited non-zero well before the harness's limit.</summary>
    private static void JobEnded(MpiJob job, string? message = null)
    {
        Assert.False(job.TimedOut, "mpiexec did not exit\n" + job.Describe());
        Assert.True(job.ExitCode != 0, "the job should have been ended\n" + job.Describe());
        if (message is not null)
        {
            // The whole job on failure: which deadline fired first is what a mismatch needs.
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(job.Stderr, message), $"expected /{message}/ in stderr\n" + job.Describe());
        }
    }

    [Fact]
    public void A_codec_that_throws_on_save_rolls_back()
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_DRIVER_CODEC_FAULT"] = "save" });
        RolledBackWithTheSameResult(job, "the state codec could not save this rank's state: InvalidOperationException: test fault");
    }

    [Fact]
    public void A_codec_that_throws_on_restore_rolls_back_and_mpiexec_exits()
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_DRIVER_CODEC_FAULT"] = "restore" });
        RolledBackWithTheSameResult(job, "the replacement could not restore the state: InvalidOperationException: test fault");
        Assert.Contains("leaves: restoring the state failed", job.Stderr);
    }

    [Fact]
    public void A_replacement_stopped_during_its_restore_is_abandoned_and_the_migration_rolls_back()
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_TEST_FAULT"] = "replacement:restoring:stop" });
        RolledBackWithTheSameResult(job, "the replacement's restore_complete did not happen within 8 s");
    }

    [Theory]
    [InlineData("1:spawned:kill")]     // the moving rank dies after the spawn
    [InlineData("2:drained:kill")]     // a bystander dies after the drain
    [InlineData("replacement:restoring:kill")] // (mpiexec ends the job; with orte_abort_on_non_zero_status 0 the migration rolls back, but Open MPI 4.1's mpiexec then outlives the ranks: only `mitten run`'s watchdog ends it)
    [InlineData("replacement:joined:kill")]
    public void A_participant_killed_inside_a_migration_ends_the_job_and_mpiexec_exits(string fault)
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_TEST_FAULT"] = fault });
        JobEnded(job);
    }

    [Theory]
    [InlineData("1:frozen:stop", "rank 1 is lost: MIG_END from rank 1 did not happen within 15 s")]
    [InlineData("1:state_sent:stop", "rank 1 is lost: DECISION from rank 1 did not happen within 16 s")]
    [InlineData("2:stopped:stop", "rank 2 is lost: rank 2's drain marker")]
    [InlineData("2:decided:stop", "rank 1 is lost: connecting to the replacement of rank 1 did not finish within 6 s|a participant is lost: freeing the old group's window")]
    [InlineData("replacement:restored:stop", "connecting to the replacement of rank 1 did not finish within 6 s")]
    public void A_participant_that_stops_answering_ends_the_job_with_one_clear_message(string fault, string message)
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_TEST_FAULT"] = fault });
        JobEnded(job, message);
        Assert.Contains("the group cannot continue consistently, so the job is ended; no checkpoint was taken in this run", job.Stderr);
    }

    [Fact]
    public void Two_requests_for_the_same_rank_at_once_both_end_committed()
    {
        // Rank 2 asks twice for rank 1 in the same iteration: the second request is queued at
        // rank 1 while it moves, travels to its replacement, and moves the rank again.
        string directory = NewJobDirectory();
        try
        {
            var job = Run(Scenario + " --migrate 1@2 --migrate 1@2", new Dictionary<string, string> { ["MITTEN_JOB_DIR"] = directory });
            JobAssert.Succeeded(job, 6);
            Assert.Equal(Results(Baseline()), Results(job));
            Assert.Equal(2, job.LinesStartingWith("REPLACEMENT rank=1 ").Count());
            Assert.Equal(2, Outcomes(directory).Count(o => o.Contains("\"committed\"")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_request_that_arrives_at_the_end_of_the_job_is_refused_with_an_outcome()
    {
        // Rank 2 asks for rank 1 in the last iteration, after rank 1's last migration point: the
        // request reaches rank 1 in Finish(), where no migration may start.
        string directory = NewJobDirectory();
        try
        {
            var job = Run(Scenario + " --migrate 1@6", new Dictionary<string, string> { ["MITTEN_JOB_DIR"] = directory });
            JobAssert.Succeeded(job, 6);
            Assert.Equal(Results(Baseline()), Results(job));
            Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
            Assert.Contains("refused: the job finished before the migration could start", job.Stderr);
            Assert.Single(Outcomes(directory), o => o.Contains("\"rejected\""));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string NewJobDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mitten-faults-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static List<string> Outcomes(string jobDirectory)
    {
        string migrations = Path.Combine(jobDirectory, "migrations");
        return Directory.Exists(migrations) ? Directory.GetFiles(migrations, "*.json").Select(File.ReadAllText).ToList() : [];
    }

    [GeneratedRegex(@"RESULT rank=\d+ \S+")]
    private static partial Regex ResultLine();
}

/// <summary>A coordinated checkpoint saves every rank at its migration point of the same superstep, or none at all.</summary>
public class ConsistentCheckpointTests
{
    private static MpiJob Run(string arguments, IDictionary<string, string>? environment = null) =>
        MpiJob.Run(3, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(100), environment: environment);

    private static IEnumerable<string> Sums(MpiJob job) => job.LinesStartingWith("RESULT ").Order(StringComparer.Ordinal);

    [Fact]
    public void A_rank_always_blocked_across_its_migration_point_gets_no_checkpoint_and_says_why()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mitten-ckpt-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var plain = Run("blocked --iterations 8 --compute-ms 30");
            JobAssert.Succeeded(plain, 3);
            var job = Run($"blocked --iterations 8 --compute-ms 30 --checkpoint 1:{directory}",
                new Dictionary<string, string> { ["MITTEN_CHECKPOINT_ATTEMPTS"] = "3" });
            JobAssert.Succeeded(job, 3);
            Assert.Equal(Sums(plain), Sums(job));
            Assert.Matches(@"checkpoint into \S+ not taken: no consistent cut at this superstep: rank 1 is blocked in a receive with rank 0 between migration points \(after 3 attempts\)", job.Stderr);
            Assert.False(File.Exists(Path.Combine(directory, "1", "manifest")), "an inconsistent checkpoint was written");
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void A_checkpoint_asked_while_a_rank_is_blocked_is_taken_at_a_later_superstep_and_restarts_to_the_uninterrupted_result()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mitten-ckpt-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            const string scenario = "blocked --iterations 10 --compute-ms 30 --blocked-until 5";
            var uninterrupted = Run(scenario);
            JobAssert.Succeeded(uninterrupted, 3);
            var crashed = Run($"{scenario} --checkpoint 2:{directory} --crash-at 8");
            Assert.NotEqual(0, crashed.ExitCode);
            // Every rank crashes at iteration 8; the first to die makes mpiexec kill the others,
            // so which ranks print first is a race. Each that printed must have seen epoch 1.
            Assert.Matches(@"CRASH rank=\d+ iteration=8 checkpoint_epoch=1", crashed.Stdout);
            Assert.DoesNotMatch(@"CRASH rank=\d+ iteration=8 checkpoint_epoch=0", crashed.Stdout);
            var restarted = Run(scenario, new Dictionary<string, string> { ["MITTEN_RESTART_DIR"] = directory });
            JobAssert.Succeeded(restarted, 3);
            Assert.Contains("restarted from checkpoint epoch 1", restarted.Stderr);
            Assert.Equal(Sums(uninterrupted), Sums(restarted));
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
