using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The shared-memory route's state ring (src/Mitten/Protocol/StateRing.cs): states several times
/// the ring go round it and arrive bit-identical, from a moving rank's own ring (spawned
/// replacement) and from a spare's prepared one; a replacement that stops or dies in the middle
/// of the ring makes the migration roll back, in bounded time.
/// </summary>
public partial class StateTransferTests
{
    private const int SmallRing = 16384;

    private static Dictionary<string, string> RingSettings(int ringBytes = SmallRing) => new()
    {
        ["MITTEN_STATE_TRANSFER"] = "shm",
        ["MITTEN_STATE_CHUNK_BYTES"] = "4096",
        ["MITTEN_STATE_RING_BYTES"] = ringBytes.ToString(),
    };

    [Fact]
    public void States_several_times_the_ring_wrap_around_and_are_restored_identical()
    {
        // A 16 KiB ring: streams of 1, 4 and 12 rings plus odd bytes, and a payload of 1 MiB (64 rings).
        var job = Run("payload --payload-stream-sizes 16383,65537,200003,p1048576", RingSettings());
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        var payloads = Payloads(job);
        Assert.True(payloads.Count == 5, $"expected 5 moves, saw {payloads.Count}\n{job.Describe()}");
        Assert.All(payloads, p => Assert.True(p.Verified, job.Describe()));
        // The application's section is framed (StateSections.cs): a payload written as its own
        // frame adds a 4-byte frame length to the overhead learned from the empty first move.
        long[] sizes = [.. payloads.Skip(1).Take(3).Select(p => p.StateBytes)];
        long[] planned = [16383, 65537, 200003];
        for (int i = 0; i < 3; i++)
        {
            Assert.InRange(sizes[i], planned[i], planned[i] + 8);
        }
        Assert.Equal(1 << 20, payloads[4].PayloadBytes);
    }

    [Fact]
    public void A_spare_prepares_the_ring_and_the_moving_rank_writes_round_it()
    {
        // One spare: rank 1's first move takes it, and the channel in the header names the spare's
        // ring (the spare's process id), not one of rank 1's own.
        var (job, ringBytes) = RunPayloadThroughSparesRing(new Dictionary<string, string>());
        Assert.Equal(SmallRing.ToString(), ringBytes);
        Assert.Matches(@"MIGRATION migration \d+: rank 1 .* spare_taken=[\d.]+ms", job.Stdout);
    }

    /// <summary>
    /// One spare and rank 1 moving once with a 2.4 MB payload (about 146 turns of the small ring),
    /// traced, with <paramref name="settings"/> on top of <see cref="RingSettings"/>: asserts the
    /// payload arrived identical and the state was written into the spare's ring (its process id,
    /// not rank 1's own); returns the job and the ring size the trace names. <paramref name="options"/>
    /// go to the payload scenario after its size.
    /// </summary>
    private static (MpiJob Job, string RingBytes) RunPayloadThroughSparesRing(IReadOnlyDictionary<string, string> settings, string options = "")
    {
        var environment = RingSettings();
        environment["MITTEN_SPARES"] = "1";
        environment["MITTEN_TRACE"] = "1";
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }
        var job = Run("payload --payload-doubles 300000" + options, environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        var payload = Assert.Single(Payloads(job));
        Assert.True(payload.Verified, job.Describe());
        Match written = Regex.Match(job.Stderr, @"r1 pid(\d+)\] state written \(\d+ bytes, shm:(\d+):\d+:(\d+)\)");
        Assert.True(written.Success, job.Describe());
        Assert.NotEqual(written.Groups[1].Value, written.Groups[2].Value); // the ring is the spare's
        return (job, written.Groups[3].Value);
    }

    [Fact]
    public void A_graph_larger_than_the_ring_goes_round_it_through_the_benchmark_spare()
    {
        // The benchmark's stand-in spare prepares a 16 KiB ring; a 1 MiB array and a graph of
        // 50,000 nodes (about 460 KB of stream) go round it; the benchmark checks each restore and
        // the stream's length and fails otherwise. Then the same with the sender's own ring.
        string program = Path.Combine(MpiJob.RepositoryRoot, "bench", "StateTransfer", "bin", MpiJob.Configuration, "net10.0", "StateTransferBench");
        foreach (string prepared in new[] { "1", "0" })
        {
            var environment = RingSettings();
            environment["MITTEN_STATE_RING_PREPARED"] = prepared;
            var job = MpiJob.Run(1, program, ["--rounds", "1", "--sizes", "1", "--graph-nodes", "50000"], TimeSpan.FromSeconds(180), null, environment);
            Assert.True(job.ExitCode == 0, job.Describe());
            string ring = prepared == "1" ? "ring=prepared" : "ring=own";
            Assert.Matches(@"(?m)^row,1,graph,shm,\d+,", job.Stdout);
            Assert.Matches(@"(?m)^phase,1,graph,shm,.* " + ring + "$", job.Stdout);
            Assert.Matches(@"(?m)^phase,1,mib1,shm,.* " + ring + "$", job.Stdout);
        }
    }

    [Fact]
    public void A_replacement_stopped_in_the_middle_of_the_ring_makes_the_migration_roll_back()
    {
        // The replacement stops (SIGSTOP) once the stream has gone round the ring: the moving rank
        // waits for room until the restore limit, then rolls back and continues the replacement,
        // which then sees ABANDON and leaves.
        var environment = RingSettings();
        environment["MITTEN_TEST_FAULT"] = "replacement:ring:stop";
        environment["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "6";
        var job = Run("payload --payload-doubles 300000", environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.Empty(Payloads(job));
        Assert.Matches(@"rank 1: migration \d+ rolled back: sending the state failed: the replacement's reading of the state \(room in the state ring\) did not happen within 6 s", job.Stderr);
        Assert.Contains("test fault: stop the replacement at step ring", job.Stderr);
    }

    [Fact]
    public void A_replacement_that_dies_in_the_middle_of_the_ring_makes_the_migration_roll_back_at_once()
    {
        // The replacement exits (code 3) once the stream has gone round the ring; with
        // orte_abort_on_non_zero_status 0 the job survives it, and the moving rank sees the
        // reader gone while it waits for room (well before the 60 s restore limit).
        var environment = RingSettings();
        environment["MITTEN_TEST_FAULT"] = "replacement:ring:exit";
        environment["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "60";
        var job = MpiJob.Run(2, MpiJob.Driver("MittenDriver"), ["payload", "--payload-doubles", "300000"], TimeSpan.FromSeconds(180),
            ["--mca", "orte_abort_on_non_zero_status", "0"], environment);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.Empty(Payloads(job));
        Assert.Matches(@"rank 1: migration \d+ rolled back: sending the state failed: the replacement \(process \d+\) died while reading the state", job.Stderr);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(55), $"the job took {job.Elapsed}: the death was not noticed before the restore limit\n{job.Describe()}");
    }
}
