namespace Mitten.Bench.Mpptest;

/// <summary>
/// The message buffers of the patterns, allocated once for the largest size and shared by every
/// variant of a comparison: two variants alternating in one job then read and write the same
/// memory, so where a job's arrays happen to lie (page and cache placement, which moved a large
/// message's time by up to 30 % from one job to the next) weighs on both alike instead of
/// showing up as a difference between them.
/// </summary>
public sealed class PatternBuffers
{
    private static int created;

    /// <summary>Buffers for messages up to <paramref name="maxBytes"/> bytes on a group of <paramref name="processes"/>.</summary>
    public PatternBuffers(int maxBytes, int processes)
    {
        int buffer = checked(Math.Max(2 * maxBytes, maxBytes * processes));
        Send = new byte[buffer];
        Receive = new byte[buffer];
        Send.AsSpan().Fill(1);
        SendDoubles = new double[maxBytes / sizeof(double) + 1];
        ReceiveDoubles = new double[maxBytes / sizeof(double) + 1];
        SendDoubles.AsSpan().Fill(1.0);
        MaxBytes = maxBytes;
        Processes = processes;
        Id = Interlocked.Increment(ref created);
    }

    /// <summary>Which set of buffers this is in the process (1, 2, ...): the report prints it per variant.</summary>
    public int Id { get; }

    /// <summary>The largest message size the buffers hold.</summary>
    public int MaxBytes { get; }

    /// <summary>The group size the buffers were sized for (alltoall needs a block per process).</summary>
    public int Processes { get; }

    internal byte[] Send { get; }

    internal byte[] Receive { get; }

    internal double[] SendDoubles { get; }

    internal double[] ReceiveDoubles { get; }
}
