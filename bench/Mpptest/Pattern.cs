namespace Mitten.Bench.Mpptest;

/// <summary>The measured communication patterns.</summary>
public enum Pattern
{
    /// <summary>Blocking round trip between ranks 0 and 1; time per one-way trip.</summary>
    PingPong,
    /// <summary>Round trip with Isend/Irecv + wait; time per one-way trip.</summary>
    Nonblocking,
    /// <summary>Pairs (0,1), (2,3), ... send to each other at once (Isend + Recv + wait); time per exchange.</summary>
    HeadToHead,
    /// <summary>Every process exchanges with both ring neighbours; time per step.</summary>
    Halo,
    /// <summary>Process i of the first half exchanges with i + P/2; aggregate bandwidth.</summary>
    Bisection,
    /// <summary>MPI_Barrier.</summary>
    Barrier,
    /// <summary>Broadcast of n bytes from rank 0.</summary>
    Bcast,
    /// <summary>Sum of n/8 doubles to rank 0.</summary>
    Reduce,
    /// <summary>Sum of n/8 doubles to every rank.</summary>
    Allreduce,
    /// <summary>All-to-all, n bytes per pair of processes.</summary>
    Alltoall,
}

/// <summary>Names and accounting of the patterns.</summary>
public static class Patterns
{
    /// <summary>The point-to-point patterns.</summary>
    public static readonly Pattern[] PointToPoint = [Pattern.PingPong, Pattern.Nonblocking, Pattern.HeadToHead, Pattern.Halo, Pattern.Bisection];

    /// <summary>The collective patterns.</summary>
    public static readonly Pattern[] Collective = [Pattern.Barrier, Pattern.Bcast, Pattern.Reduce, Pattern.Allreduce, Pattern.Alltoall];

    /// <summary>The name used on the command line and in the output.</summary>
    public static string Name(Pattern pattern) => pattern switch
    {
        Pattern.PingPong => "pingpong",
        Pattern.Nonblocking => "nonblocking",
        Pattern.HeadToHead => "head-to-head",
        _ => pattern.ToString().ToLowerInvariant(),
    };

    /// <summary>The pattern called <paramref name="name"/>.</summary>
    public static Pattern Parse(string name) =>
        Enum.GetValues<Pattern>().FirstOrDefault(p => Name(p) == name, (Pattern)(-1)) is var p && (int)p >= 0
            ? p
            : throw new ArgumentException($"unknown pattern '{name}'");

    /// <summary>Whether the pattern takes a message size (barrier does not).</summary>
    public static bool HasSize(Pattern pattern) => pattern != Pattern.Barrier;

    /// <summary>Timed operations per repetition (a round trip is two one-way trips).</summary>
    public static int OperationsPerRepetition(Pattern pattern) =>
        pattern is Pattern.PingPong or Pattern.Nonblocking ? 2 : 1;

    /// <summary>Bytes one operation moves, for the bandwidth column (0: no bandwidth).</summary>
    public static double BytesPerOperation(Pattern pattern, int bytes, int processes) => pattern switch
    {
        Pattern.PingPong or Pattern.Nonblocking => bytes,
        Pattern.HeadToHead => 2.0 * bytes,                    // both directions of the pair
        Pattern.Halo => 2.0 * bytes,                          // sent by each process per step
        Pattern.Bisection => (processes / 2) * 2.0 * bytes,   // aggregate over all pairs, both directions
        Pattern.Bcast or Pattern.Reduce or Pattern.Allreduce => bytes,
        Pattern.Alltoall => (double)bytes * (processes - 1),  // sent by each process
        _ => 0,
    };
}
