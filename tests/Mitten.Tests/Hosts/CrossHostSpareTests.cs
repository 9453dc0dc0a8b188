using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Hosts;

/// <summary>
/// A warm spare on another host (docs/PROTOCOL.md, "Warm spares" and "Spare pools"): the spare
/// started on h2 at the job's start is taken by a rank moving from h1 to h2, over the spare pool
/// (no connect/accept; the intercommunicator and the new group prepared at start), across Open
/// MPI's TCP transport between the namespace hosts.
/// </summary>
public sealed partial class CrossHostTests
{
    [Fact]
    public void A_spare_on_h2_is_taken_over_the_pool_by_a_rank_moving_from_h1_to_h2()
    {
        hosts.RequireHosts();
        const string scenario = "transit --iterations 12";
        MpiJob baseline = Baseline(Ranks, scenario);
        string jobDir = NewControlDirectory();
        MpiJob job = RunOnHosts(hosts.TwoHosts, Ranks, scenario + " --migrate 1@3:h2", new Dictionary<string, string>
        {
            ["MITTEN_JOB_DIR"] = jobDir,
            ["MITTEN_SPARES"] = "1",
            ["MITTEN_SPARE_HOSTS"] = "h2",
            ["MITTEN_TRACE"] = "1",
        });
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, 2 * Ranks);
        JobAssert.OkOnRanks(job, "all-delivered-once", Ranks);
        JobAssert.OkOnRanks(job, "in-order", Ranks);
        Assert.Equal(Results(baseline), Results(job));
        string report = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Matches(@"rank 1 h1 -> h2 Committed", report);
        Assert.Contains("spare_taken=", report);
        Assert.DoesNotContain("spawned=", report);
        // The first migration's intercommunicator and new group were prepared at start (docs/PROTOCOL.md, "Prepared groups").
        Assert.Matches(@"r1 pid\d+\] took spare 0 \(process \d+ on h2\): doorbell [\d.]+ ms, prepared intercomm", job.Stderr);
        Assert.Matches(@"r0 pid\d+\] new group installed: prepared group \(spare \d+ of pool 0\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] replacement: joined the new group \(prepared group\)", job.Stderr);
        Assert.Equal("h2", ReportedHost(jobDir, 1));
    }

    [Fact]
    public void A_state_goes_to_a_spare_on_h2_over_its_doorbell_connection_and_is_restored_identical()
    {
        // Rank 1 moves from h1 to the spare on h2 with 8 MB of payload, which the replacement
        // checks bit by bit; the state went over TCP to h2's address (docs/PROTOCOL.md, "The state transfer").
        hosts.RequireHosts();
        MpiJob job = RunOnHosts(hosts.TwoHosts, Ranks, "payload --payload-doubles 1000000 --payload-host h2", new Dictionary<string, string>
        {
            ["MITTEN_SPARES"] = "1",
            ["MITTEN_SPARE_HOSTS"] = "h2",
            ["MITTEN_TRACE"] = "1",
        });
        output.WriteLine(job.Describe());
        JobAssert.Succeeded(job, Ranks);
        JobAssert.OkOnRanks(job, "payload-verified", Ranks);
        Assert.Matches(@"PAYLOAD rank=1 .* verified=yes", job.Stdout);
        Assert.Matches(@"rank 1 h1 -> h2 Committed", job.Stdout);
        var written = System.Text.RegularExpressions.Regex.Match(job.Stderr, @"r1 pid\d+\] state written \((\d+) bytes, tcp:([\d.]+):\d+\)");
        Assert.True(written.Success, job.Describe());
        Assert.True(long.Parse(written.Groups[1].Value) > 8_000_000, job.Describe());
        Assert.NotEqual("127.0.0.1", written.Groups[2].Value); // h2's address, not loopback
    }
}
