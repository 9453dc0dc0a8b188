using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The TCP route (src/Mitten/Protocol/TcpStateChannels.cs): the state goes over the connection
/// the moving rank opened to take a warm spare. Here on one host (MITTEN_STATE_TRANSFER=tcp makes
/// the route be used over loopback); the cross-host case is in Hosts/CrossHostSpareTests.cs.
/// </summary>
public partial class StateTransferTests
{
    private static Dictionary<string, string> TcpSettings() => new()
    {
        ["MITTEN_STATE_TRANSFER"] = "tcp",
        ["MITTEN_SPARES"] = "1",
        ["MITTEN_TRACE"] = "1",
    };

    [Fact]
    public void A_state_goes_to_a_taken_spare_over_its_doorbell_connection_and_is_restored_identical()
    {
        var job = Run("payload --payload-doubles 1000000", TcpSettings()); // 8 MB
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        var payload = Assert.Single(Payloads(job));
        Assert.True(payload.Verified, job.Describe());
        Assert.Equal(8_000_000, payload.PayloadBytes);
        Assert.Matches(@"r1 pid\d+\] state written \(\d+ bytes, tcp:127\.0\.0\.1:\d+\)", job.Stderr);
        Assert.Matches(@"MIGRATION migration \d+: rank 1 .* spare_taken=[\d.]+ms", job.Stdout);
    }

    [Fact]
    public void Without_MITTEN_STATE_TCP_the_spare_gets_the_state_in_MPI_chunks()
    {
        var environment = TcpSettings();
        environment["MITTEN_STATE_TCP"] = "0";
        var job = Run("payload --payload-doubles 100000", environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.True(Assert.Single(Payloads(job)).Verified, job.Describe());
        Assert.Matches(@"r1 pid\d+\] state written \(\d+ bytes, mpi:\d+\)", job.Stderr);
    }

    [Fact]
    public void A_spare_that_dies_in_the_middle_of_a_TCP_stream_makes_the_migration_roll_back_at_once()
    {
        // The replacement exits (code 3) once 1 MiB has arrived; the moving rank's send fails on
        // the reset connection (well before the 60 s restore limit) and it rolls back.
        var environment = TcpSettings();
        environment["MITTEN_TEST_FAULT"] = "replacement:stream:exit";
        environment["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "60";
        var job = MpiJob.Run(2, MpiJob.Driver("MittenDriver"), ["payload", "--payload-doubles", "4000000"], TimeSpan.FromSeconds(180),
            ["--mca", "orte_abort_on_non_zero_status", "0"], environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.Contains("test fault: exit the replacement at step stream", job.Stderr);
        Assert.Matches(@"rank 1: migration \d+ rolled back: sending the state failed: the connection to the replacement failed", job.Stderr);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(55), $"the job took {job.Elapsed}: the death was not noticed before the restore limit\n{job.Describe()}");
    }

    [Fact]
    public void A_spare_stopped_in_the_middle_of_a_TCP_stream_makes_the_migration_roll_back_at_the_restore_limit()
    {
        // 32 MB do not fit in the sockets' buffers: the moving rank waits for room until the
        // restore limit, then rolls back and sends ABANDON.
        var environment = TcpSettings();
        environment["MITTEN_TEST_FAULT"] = "replacement:stream:stop";
        environment["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "6";
        var job = Run("payload --payload-doubles 4000000", environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.Contains("test fault: stop the replacement at step stream", job.Stderr);
        Assert.Matches(@"rank 1: migration \d+ rolled back: sending the state failed: the replacement's receipt of the state did not happen within 6 s", job.Stderr);
    }
}
