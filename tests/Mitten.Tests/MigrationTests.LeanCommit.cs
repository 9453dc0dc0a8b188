using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The lean commit (MITTEN_LEAN_COMMIT, Steps/LeanCommit.cs): the staying ranks make C' with
/// MPI_Comm_create_group, the new group's control channel is the connect's merged communicator
/// with its ranks translated (the replacement last in it), and with 2 the old window is freed
/// after the new group is installed. Repeated migrations (rank 0, the last rank, a replacement
/// moving again) run their synchronization over the translated control channel of the previous
/// commit, so a wrong translation loses or misroutes a control message and the job fails.
/// </summary>
public partial class MigrationTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void The_lean_commit_gives_the_unmigrated_result_over_repeated_migrations(string mode)
    {
        const string scenario = "transit --iterations 12";
        var baseline = Baseline(4, scenario);
        var job = Run(4, scenario + " --migrate 1@2 --migrate 1@5 --migrate 0@7 --migrate 3@9",
            new Dictionary<string, string> { ["MITTEN_LEAN_COMMIT"] = mode, ["MITTEN_TRACE"] = "1" });
        JobAssert.Succeeded(job, 8); // the trace is on stderr
        Assert.DoesNotContain("the job is ended", job.Stderr);
        JobAssert.OkOnRanks(job, "all-delivered-once", 4);
        JobAssert.OkOnRanks(job, "in-order", 4);
        SameResults(baseline, job);
        Assert.Equal(4, job.LinesStartingWith("REPLACEMENT ").Count());
        // Every commit took the lean path: each replacement kept the merged communicator, the staying ranks made C' themselves.
        Assert.Equal(4, job.Stderr.Split('\n').Count(l => l.Contains("replacement: control channel (the merged communicator kept)")));
        Assert.Equal(4 * 3, job.Stderr.Split('\n').Count(l => l.Contains("commit step: C' without Pj (MPI_Comm_create_group)")));
        Assert.DoesNotContain("commit step: split without Pj", job.Stderr);
        Assert.Equal(mode == "2" ? 4 * 3 : 0, job.Stderr.Split('\n').Count(l => l.Contains("commit step: old window freed (late, after the new group)")));
        Assert.Equal(mode == "2" ? 4 : 0, job.Stderr.Split('\n').Count(l => l.Contains("commit step: old window freed (late, after COMMIT)")));
    }
}
