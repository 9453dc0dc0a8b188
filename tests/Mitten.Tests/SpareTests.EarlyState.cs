using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The early state (MITTEN_EARLY_STATE, docs/PROTOCOL.md "Early state"): the spare is taken at
/// initiation, the application's state captured on a thread of its own from the moving rank's
/// stop, and the received-message-list sent last, after the drain. Real mpiexec jobs.
/// </summary>
public partial class SpareTests
{
    private static readonly Dictionary<string, string> TraceEarly = new() { ["MITTEN_TRACE"] = "1", ["MITTEN_EARLY_STATE"] = "1" };

    [Theory]
    [InlineData("1")]
    [InlineData("stop")]
    public void With_the_early_state_the_spare_is_taken_before_the_synchronization_ends_and_the_result_is_the_same(string setting)
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_EARLY_STATE"] = setting });
        JobAssert.Succeeded(job, 6); // not Clean: the trace is on stderr
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        // At initiation (1) the take is before the stop; at the stop (stop) just after it; both before "synchronized".
        Assert.Matches(setting == "1" ? @"spare_taken=[\d.]+ms stopped=[\d.]+ms synchronized=[\d.]+ms state_sent=[\d.]+ms"
            : @"stopped=[\d.]+ms spare_taken=[\d.]+ms synchronized=[\d.]+ms state_sent=[\d.]+ms", report);
        Assert.Matches(@"r1 pid\d+\] header sent \(at the stop; the final one follows\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] early: application state captured in [\d.]+ ms on its thread", job.Stderr);
    }

    [Fact]
    public void Without_the_early_state_nothing_is_taken_or_captured_before_the_drain()
    {
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_EARLY_STATE"] = "0" });
        JobAssert.Succeeded(job, 6); // not Clean: the trace is on stderr
        SameResults(job);
        Assert.Matches(@"stopped=[\d.]+ms synchronized=[\d.]+ms spare_taken=[\d.]+ms state_sent=[\d.]+ms", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.DoesNotContain("early:", job.Stderr);
        Assert.DoesNotContain("header sent (at the stop", job.Stderr);
    }

    [Fact]
    public void Messages_that_reach_the_moving_rank_after_its_capture_began_travel_last_and_are_delivered_in_order()
    {
        // Rank 0 sleeps at the end of every iteration, so rank 1 stops at the global superstep
        // first and its capture starts while rank 0's messages of the last iteration (some large
        // enough for the rendezvous protocol, so they can only arrive in the drain) are not yet
        // in rank 1's received-message-list: the list grows after the capture began.
        var job = Run(3, Scenario + " --delay-rank 0 --delay-ms 300 --migrate 1@3", spares: 1, TraceEarly);
        JobAssert.Succeeded(job, 6); // not Clean: the trace is on stderr
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        JobAssert.OkOnRanks(job, "in-order", 3);
        Assert.Equal(Results(Run(3, Scenario + " --delay-rank 0 --delay-ms 300", spares: 0)), Results(job));
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("Committed", report);
        Assert.Matches(@"r1 pid\d+\] header sent \(at the stop; the final one follows\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] early: application state captured in [\d.]+ ms on its thread", job.Stderr);
        // The list sent last held messages taken after the stop (in the wait for the reports or the drain).
        Match list = Regex.Match(job.Stderr, @"r1 pid\d+\] received-message-list sent last: (\d+) messages, (\d+) taken after the stop");
        Assert.True(list.Success, "no list line\n" + job.Describe());
        Assert.True(int.Parse(list.Groups[2].Value) > 0, "no message reached rank 1 after its stop\n" + job.Describe());
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=1 "));
    }

    [Fact]
    public void A_migration_aborted_after_the_early_take_and_capture_abandons_the_spare_and_a_later_migration_commits()
    {
        // derived-blocked with --nbc-across 2: rank 0 has an Ibarrier in progress when rank 1's
        // migration synchronizes, so the leader (rank 1, stopped at its migration point, its
        // spare taken and its capture running) ends it with MIG_END(abort); the spare is
        // abandoned, the job goes on, and rank 3's later migration (a spawn: the only spare is
        // gone) commits (rank 2, like rank 0, ends its iterations blocked on its row and cannot move).
        const string derived = "derived-blocked --iterations 8";
        var expected = MpiJob.Run(4, MpiJob.Driver("MittenDriver"), derived.Split(' '), TimeSpan.FromSeconds(240));
        var job = Run(4, derived + " --nbc-across 2 --migrate 1@2 --migrate 3@5", spares: 1,
            new Dictionary<string, string>(TraceEarly) { ["MITTEN_SPARE_REPLENISH"] = "0" }, timeoutSeconds: 240);
        JobAssert.Succeeded(job, 5 * 4);
        JobAssert.OkOnRanks(job, "derived-ok", 4);
        Assert.Equal(DerivedResults(expected), DerivedResults(job));
        Assert.Contains("RolledBack (rank 0 has 1 non-blocking collective(s)", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Matches(@"r1 pid\d+\] early: took spare 0 ", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] header sent \(at the stop; the final one follows\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] early: spare 0 .* abandoned \(the synchronization was aborted\)", job.Stderr);
        Assert.Matches(@"leaves[^\n]*rolled the migration back", job.Stderr); // the taken spare left
        string later = Assert.Single(job.LinesStartingWith("MIGRATION rank=3 "));
        Assert.Contains("Committed", later);
        Assert.Contains("spawned=", later);
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=3 "));
        Assert.Empty(job.LinesStartingWith("REPLACEMENT rank=1 "));
    }

    private static List<string> DerivedResults(MpiJob job) =>
        DerivedResultLine().Matches(job.Stdout).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"RESULT rank=\d+ checksum=-?\d+")]
    private static partial Regex DerivedResultLine();
}
