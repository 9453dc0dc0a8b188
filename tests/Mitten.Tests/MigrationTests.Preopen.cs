using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// A spare's state ring the moving rank opened ahead and claimed (StateRing.Preopen.cs) does not
/// change the rollback: the taken spare dies on the header, the migration rolls back, every
/// message is delivered once in order, and the job ends as without the migration.
/// </summary>
public partial class MigrationTests
{
    [Fact]
    public void A_spare_that_dies_after_its_ring_was_opened_ahead_rolls_back_and_nothing_is_lost()
    {
        const string scenario = "transit --iterations 6";
        var baseline = Baseline(3, scenario);
        var job = Run(3, scenario + " --migrate 2@2",
            new Dictionary<string, string>
            {
                ["MITTEN_SPARES"] = "1",
                ["MITTEN_STATE_RING_PREOPEN"] = "1",
                ["MITTEN_TRACE"] = "1",
                ["MITTEN_TEST_REPLACEMENT_FAULT"] = "die-before-restore",
            },
            mpiexecOptions: ["--mca", "orte_abort_on_non_zero_status", "0"]);
        Assert.True(job.ExitCode == 0, job.Describe());
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(baseline, job);
        Assert.Matches(@"r2 pid\d+\] state sender opened in [\d.]+ ms \(ring opened ahead in [\d.]+ ms, used\)", job.Stderr);
        Assert.Matches(@"rank 2: migration \d+ rolled back: ", job.Stderr);
        Assert.Empty(job.LinesStartingWith("REPLACEMENT "));
    }
}
