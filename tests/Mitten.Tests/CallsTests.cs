using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Sendrecv, Sendrecv_replace, Ssend, Probe/Iprobe, WaitAny/WaitSome/TestAny/TestAll, the
/// v-collectives, Reduce_scatter_block, Exscan and truncated receives through the migration
/// layer (MittenDriver's calls scenario, real mpiexec jobs): each rank checks every result, and a
/// run with migrations gives the unmigrated run's checksums.
/// </summary>
public partial class CallsTests
{
    private const string Scenario = "calls --iterations 8 --truncate-at 3";

    private static MpiJob Run(int ranks, string arguments) =>
        MpiJob.Run(ranks, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(150));

    private static MpiJob? baseline;

    private static MpiJob Baseline()
    {
        if (baseline is null)
        {
            baseline = Run(3, Scenario);
            JobAssert.Clean(baseline, 4);
            JobAssert.OkOnRanks(baseline, "calls-ok", 3);
        }
        return baseline;
    }

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => m.Value.Trim()).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Without_migration_every_call_gives_the_expected_values_and_a_truncation_from_MPI_says_so()
    {
        var job = Baseline();
        Assert.Equal(3, Results(job).Count);
        string truncation = Assert.Single(job.LinesStartingWith("TRUNCATION "));
        Assert.Contains("from_mpi=True", truncation);
        Assert.Contains("message truncated: the message received from rank 0 (tag 45) is larger than the 40-byte receive buffer (MPI_ERR_TRUNCATE)", truncation);
        // The same through Irecv + MittenRequest.Wait (the request's error path).
        string request = Assert.Single(job.LinesStartingWith("TRUNCATION-REQUEST "));
        Assert.Contains("from_mpi=True", request);
        Assert.Contains("message truncated: the message received from rank 0 (tag 49) is larger than the 40-byte receive buffer (MPI_ERR_TRUNCATE)", request);
    }

    [Fact]
    public void Ranks_moved_while_others_are_blocked_in_Ssend_Probe_and_WaitAny_give_the_unmigrated_result()
    {
        var expected = Baseline();
        // Rank 0 moves while rank 2 waits in Probe/WaitAny for it; rank 1 moves while rank 0 is
        // blocked in an Ssend to it and a too-large message to it is in flight (drained, so the
        // truncation comes from the received-message-list); rank 2 is itself always blocked
        // across the others' next migration point, so its migration is rolled back.
        var job = Run(3, Scenario + " --migrate 0@1 --migrate 1@3 --migrate 2@5");
        JobAssert.Succeeded(job, 4);
        JobAssert.OkOnRanks(job, "calls-ok", 3);
        Assert.Equal(Results(expected), Results(job));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=0 ")));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=0 "));
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=1 "));
        JobAssert.OkOnRanks(job, "replacement-communication-refused", 2);
        JobAssert.OkOnRanks(job, "replacement-barrier-refused", 2);
        JobAssert.OkOnRanks(job, "replacement-allreduce-refused", 2);
        JobAssert.OkOnRanks(job, "replacement-exscan-refused", 2);
        string rank2 = Assert.Single(job.LinesStartingWith("MIGRATION rank=2 "));
        Assert.Contains("RolledBack (rank 2 is blocked in a receive with rank 1 that can only complete after the others' next migration point)", rank2);
        string truncation = Assert.Single(job.LinesStartingWith("TRUNCATION "));
        Assert.Contains("message_bytes=80 from_mpi=False", truncation);
        Assert.Contains("message truncated: the message received from rank 0 (tag 45) has 80 bytes, more than the 40-byte receive buffer", truncation);
        string request = Assert.Single(job.LinesStartingWith("TRUNCATION-REQUEST "));
        Assert.Contains("the message received from rank 0 (tag 49)", request);
        Assert.Contains("40-byte receive buffer", request);
    }

    [GeneratedRegex(@"RESULT rank=\d+ checksum=-?\d+")]
    private static partial Regex ResultLine();
}
