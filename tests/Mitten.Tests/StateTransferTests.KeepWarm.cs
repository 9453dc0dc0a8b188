using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// An idle spare keeps its prepared ring and memory warm between doorbell polls (Spares/KeepWarm.cs,
/// docs/PROTOCOL.md "Memory for the state"): the rounds write into the ring and the memory a state is
/// received into, so the state must still arrive identical through that ring; off, no round runs.
/// </summary>
public partial class StateTransferTests
{
    [Theory]
    [InlineData("50")]
    [InlineData("0")]
    public void An_idle_spare_keeps_its_ring_and_memory_warm_and_the_state_arrives_identical(string intervalMs)
    {
        // The move is asked for 400 ms in, so the spare (ready about 200 ms after the start) is idle
        // for several 50 ms rounds even on a quiet machine, where the move otherwise came first.
        var (job, _) = RunPayloadThroughSparesRing(new Dictionary<string, string> { ["MITTEN_SPARE_KEEP_WARM_MS"] = intervalMs },
            " --payload-request-after-ms 400");
        Match answered = Regex.Match(job.Stderr, @"spare: TAKE answered \(kept warm: (\d+) rounds, (\d+) pages, [\d.]+ ms\)");
        Assert.True(answered.Success, job.Describe());
        int rounds = int.Parse(answered.Groups[1].Value, CultureInfo.InvariantCulture);
        long pages = long.Parse(answered.Groups[2].Value, CultureInfo.InvariantCulture);
        if (intervalMs == "0")
        {
            Assert.Equal(0, rounds);
            Assert.Equal(0, pages);
        }
        else
        {
            // The spare waits at least its warm-up's end to the migration: several 50 ms rounds, each over the ring and the memory.
            Assert.True(rounds >= 1, job.Describe());
            Assert.True(pages >= rounds, job.Describe());
        }
    }
}
