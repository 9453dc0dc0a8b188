using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Replenishing used spares (docs/PROTOCOL.md, "Replenishing"): after a migration that took the
/// only spare commits, the old process starts a new spare on that host, so a later migration
/// there takes a spare again instead of spawning; MITTEN_SPARE_REPLENISH=0 turns it off; a
/// replenished spare that dies leaves the job going. The migrations are ~4 s apart (28
/// iterations of 150 ms) so that the new spare is warm by the second one.
/// </summary>
public partial class SpareTests
{
    private const string LongScenario = "transit --iterations 36 --compute-ms 150";
    private const string TwoMigrations = LongScenario + " --migrate 1@2 --migrate 2@30";

    private static MpiJob? longBaseline;

    private static List<string> LongBaseline()
    {
        longBaseline ??= Run(3, LongScenario, spares: 0);
        JobAssert.Clean(longBaseline, 6);
        return Results(longBaseline);
    }

    private static void SameLongResults(MpiJob actual)
    {
        List<string> want = LongBaseline(), got = Results(actual);
        Assert.True(want.Count == 3 && want.SequenceEqual(got),
            $"results differ from the unmigrated run\nexpected:\n{string.Join("\n", want)}\nactual:\n{string.Join("\n", got)}\n{actual.Describe()}");
    }

    [Fact]
    public void Two_migrations_to_a_host_with_one_spare_both_take_a_spare_because_the_used_one_is_replenished()
    {
        var job = Run(3, TwoMigrations, spares: 1, Trace, timeoutSeconds: 180);
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameLongResults(job);
        string first = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        string second = Assert.Single(job.LinesStartingWith("MIGRATION rank=2 "));
        foreach (string report in new[] { first, second })
        {
            Assert.Contains("Committed", report);
            Assert.Contains("spare_taken=", report);
            Assert.DoesNotContain("spawned=", report);
        }
        // The old rank 1 replaced spare 0 after its commit; rank 2 took the new spare over
        // connect/accept (it is in no pool) and the group was rebuilt with connect/accept.
        Assert.Matches(@"r1 pid\d+\] replenished spare 0 \(process \d+ on \S+\): new spare process \d+ ready in \d+ ms", job.Stderr);
        Assert.Matches(@"r2 pid\d+\] took spare 0 \(process \d+ on \S+\): doorbell [\d.]+ ms, connect [\d.]+ ms", job.Stderr);
        Assert.Matches(@"r2 pid\d+\] replacement: joined the new group \(connect/accept\)", job.Stderr);
        // The second commit replenishes again (or the job ends first: that spare then leaves at once); it leaves at the end.
        Assert.Matches(@"r2 pid\d+\] replenish(ed|ing) spare 0", job.Stderr);
        Assert.DoesNotContain("mitten: rank", job.Stderr); // no warning, no skipped spare
        Assert.Empty(DriverProcesses());
    }

    [Fact]
    public void With_replenishing_off_the_second_migration_to_the_host_spawns()
    {
        var job = Run(3, TwoMigrations, spares: 1, new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_SPARE_REPLENISH"] = "0" }, timeoutSeconds: 180);
        JobAssert.Succeeded(job, 6);
        SameLongResults(job);
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        string second = Assert.Single(job.LinesStartingWith("MIGRATION rank=2 "));
        Assert.Contains("spawned=", second);
        Assert.DoesNotContain("spare_taken=", second);
        Assert.DoesNotContain("replenish", job.Stderr);
        Assert.Empty(DriverProcesses());
    }

    [Fact]
    public void A_replenished_spare_that_dies_is_skipped_and_the_job_goes_on_to_its_end()
    {
        // The new spare kills itself once ready. As for a killed start-up spare, the job needs
        // orte_abort_on_non_zero_status 0 to survive it, and Open MPI 4.1's mpiexec then outlives
        // the ranks: the job's own work is checked, and that every rank reached its end.
        // A short step limit bounds rank 0's wait at the end for a slot that never answers again.
        var job = Run(3, TwoMigrations, spares: 1,
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_TEST_FAULT"] = "replenished:ready:kill", ["MITTEN_STEP_TIMEOUT_SECONDS"] = "10" },
            mpiexecOptions: ["--mca", "orte_abort_on_non_zero_status", "0"], timeoutSeconds: 60);
        Assert.Contains("test fault: kill the replenished spare at step ready", job.Stderr);
        Assert.Contains("spare_taken=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        string second = Assert.Single(job.LinesStartingWith("MIGRATION rank=2 "));
        Assert.Contains("Committed", second);
        Assert.Contains("spawned=", second);
        Assert.Matches(@"r2 pid\d+\] spare 0 \(process \d+ on \S+\) (not ready yet|skipped)", job.Stderr);
        Assert.True(job.Checks.Count >= 6, job.Describe());
        Assert.All(job.Checks, c => Assert.True(c.Ok, c.Line));
        SameLongResults(job);
    }
}
