using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The streamed state transfer (src/Mitten/Protocol/StateTransfer.cs) in real migrations
/// (MittenDriver's payload scenario): rank 1 moves with payloads whose every bit the
/// replacement checks, over both routes (shared memory, MPI chunks), at the edges of the
/// chunking, above 2 GiB, and with a codec that fails while the state is already streaming.
/// </summary>
public partial class StateTransferTests
{
    private const int Chunk = 4096;

    private static MpiJob Run(string arguments, IDictionary<string, string> environment, int timeoutSeconds = 180) =>
        MpiJob.Run(2, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            TimeSpan.FromSeconds(timeoutSeconds), null, environment);

    private static List<(long StateBytes, long PayloadBytes, bool Verified)> Payloads(MpiJob job) =>
        PayloadLine().Matches(job.Stdout)
            .Select(m => (long.Parse(m.Groups[3].Value), long.Parse(m.Groups[1].Value) + 8 * long.Parse(m.Groups[2].Value), m.Groups[4].Value == "yes"))
            .ToList();

    [Theory]
    [InlineData("shm")]
    [InlineData("mpi")]
    public void States_of_odd_sizes_around_the_chunk_size_are_restored_identical(string route)
    {
        // Chunks of 4096 bytes; the first move has an empty payload, then 1 byte, then whole
        // streams of chunk - 1, chunk, chunk + 1, two chunks and three chunks + 1 bytes.
        var job = Run("payload --payload-stream-sizes p1,4095,4096,4097,8192,12289",
            new Dictionary<string, string> { ["MITTEN_STATE_TRANSFER"] = route, ["MITTEN_STATE_CHUNK_BYTES"] = Chunk.ToString() });
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        var payloads = Payloads(job);
        Assert.True(payloads.Count == 7, $"expected 7 moves, saw {payloads.Count}\n{job.Describe()}");
        Assert.All(payloads, p => Assert.True(p.Verified, job.Describe()));
        Assert.Equal(0, payloads[0].PayloadBytes);
        Assert.Equal(1, payloads[1].PayloadBytes);
        long[] streams = [.. Enumerable.Skip(payloads, 2).Select(p => p.StateBytes)];
        Assert.Equal<long>([Chunk - 1, Chunk, Chunk + 1, 2 * Chunk, 3 * Chunk + 1], streams);
    }

    [Fact]
    public void A_state_larger_than_2_GiB_is_restored_bit_identical()
    {
        // 2.2 GiB of double[] (every bit pattern, NaNs included): held by the old process, then by the
        // replacement, and in transit at most a few chunks (the replacement gives back what it has read).
        const long Doubles = 295_279_002;
        long available = AvailableMemoryBytes();
        if (available < 8L << 30)
        {
            throw Xunit.Sdk.SkipException.ForSkip($"needs about 8 GiB of free memory for a 2.2 GiB state held by two processes; {available >> 20} MiB available");
        }
        var job = Run($"payload --payload-doubles {Doubles}", new Dictionary<string, string>(), timeoutSeconds: 900);
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        var payload = Assert.Single(Payloads(job));
        Assert.True(payload.Verified, job.Describe());
        Assert.Equal(8 * Doubles, payload.PayloadBytes);
        Assert.True(payload.StateBytes > 8 * Doubles && payload.StateBytes > int.MaxValue, job.Describe());
    }

    [Theory]
    [InlineData("shm")]
    [InlineData("mpi")]
    public void A_codec_that_throws_while_the_state_streams_rolls_back(string route)
    {
        // The codec writes 3 MiB + 17 bytes (chunks of 1 MiB are already at the replacement), then throws.
        var job = Run("payload --payload-stream-sizes 5000", new Dictionary<string, string>
        {
            ["MITTEN_STATE_TRANSFER"] = route,
            ["MITTEN_STATE_CHUNK_BYTES"] = (1 << 20).ToString(),
            ["MITTEN_DRIVER_CODEC_FAULT"] = "save-midway",
            ["MITTEN_RESTORE_TIMEOUT_SECONDS"] = "20",
        });
        JobAssert.Succeeded(job, 2);
        JobAssert.OkOnRanks(job, "payload-verified", 2);
        Assert.Empty(Payloads(job));
        // Whichever notices first names the cause: Pj's codec, or Pn's codec, which reads the partial
        // state (zeros) and fails on it; on the shared-memory route Pj stops writing when it sees that.
        Assert.Matches(@"rank 1: migration \d+ rolled back: (the state codec could not save this rank's state: InvalidOperationException: test fault: the codec failed midway|the replacement could not restore the state: )", job.Stderr);
        // (The replacement's own line, "leaves: the moving rank rolled the migration back", may be
        // cut off when mpiexec ends with the group, so it is not required here.)
    }

    private static long AvailableMemoryBytes()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        return 0;
    }

    [GeneratedRegex(@"^PAYLOAD rank=1 iteration=\d+ bytes=(\d+) doubles=(\d+) state_bytes=(\d+) verified=(yes|no)", RegexOptions.Multiline)]
    private static partial Regex PayloadLine();
}
