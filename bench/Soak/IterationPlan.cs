namespace Mitten.Bench.Soak;

/// <summary>How a message is sent.</summary>
internal enum SendStyle
{
    /// <summary>Blocking <c>Send</c> (only to a receiver that pre-posted an <c>Irecv</c>, so it cannot deadlock).</summary>
    Send,
    /// <summary><c>Isend</c>, completed later in the iteration or (carried) after the next migration point.</summary>
    Isend,
}

/// <summary>How a message is received.</summary>
internal enum ReceiveStyle
{
    /// <summary>Blocking <c>Recv</c> from the sender with the message's tag (only from an <c>Isend</c>).</summary>
    Recv,
    /// <summary><c>Irecv</c> from the sender with the message's tag.</summary>
    Irecv,
    /// <summary>Blocking <c>Recv</c> from any source with the message's tag (tags are unique per iteration).</summary>
    RecvAnySource,
    /// <summary><c>Irecv</c> from any source with the message's tag.</summary>
    IrecvAnySource,
    /// <summary>Blocking <c>Recv</c> from the sender with any tag (the only message of that pair in the iteration).</summary>
    RecvAnyTag,
    /// <summary><c>Irecv</c> from the sender with any tag.</summary>
    IrecvAnyTag,
}

/// <summary>How a rank completes its non-blocking operations of an iteration.</summary>
internal enum Completion
{
    /// <summary><c>Wait</c> on each, in a shuffled order.</summary>
    WaitEach,
    /// <summary><c>MittenRequest.WaitAll</c>.</summary>
    WaitAll,
    /// <summary><c>Test</c> polled (a bounded number of times, then <c>Wait</c>).</summary>
    TestThenWait,
}

/// <summary>Every collective of the MittenCommunicator.</summary>
internal enum CollectiveKind
{
    Barrier, Bcast, Reduce, Allreduce, AllreduceInPlace, AllreduceValue, Gather, Allgather, Scatter, Alltoall, Alltoallv, Scan,
}

/// <summary>One point-to-point message of an iteration.</summary>
internal sealed record PlannedMessage(int Index, int Source, int Destination, int Tag, int Bytes, SendStyle Send, ReceiveStyle Receive, bool CarriedSend)
{
    public bool BlockingReceive => Receive is ReceiveStyle.Recv or ReceiveStyle.RecvAnySource or ReceiveStyle.RecvAnyTag;
    public int ReceiveSource => Receive is ReceiveStyle.RecvAnySource or ReceiveStyle.IrecvAnySource ? Mitten.MittenCommunicator.AnySource : Source;
    public int ReceiveTag => Receive is ReceiveStyle.RecvAnyTag or ReceiveStyle.IrecvAnyTag ? Mitten.MittenCommunicator.AnyTag : Tag;
}

/// <summary>One collective of an iteration; <see cref="Salt"/> makes its data distinct.</summary>
internal sealed record PlannedCollective(CollectiveKind Kind, int Root, int Count, int Operation, ulong Salt);

/// <summary>One migration request: <see cref="Issuer"/> asks for <see cref="Target"/> to move to localhost.</summary>
internal sealed record PlannedRequest(int Issuer, int Target);

/// <summary>
/// Everything the ranks do in one iteration, derived from (seed, iteration, size) alone, so every
/// rank (and every replacement) computes the same plan: the same collectives between migration
/// points, and matching sends and receives. Receives are exact by construction: tags are unique
/// within an iteration (and cycle over 32 iterations, more than ranks can drift apart between the
/// synchronizing collectives), and a wildcard-tag receive is used only for the single message of
/// its sender to that receiver in the iteration.
/// </summary>
internal sealed class IterationPlan
{
    public const int TagWindow = 1000;
    public const int IterationsPerTagCycle = 32;
    public int Iteration { get; }
    public List<PlannedMessage> Messages { get; } = [];
    public List<PlannedCollective> Collectives { get; } = [];
    public List<PlannedRequest> Requests { get; } = [];
    public Completion[] CompletionOf { get; }
    /// <summary>Per rank, a seed for the order in which it completes its requests.</summary>
    public ulong[] OrderSeed { get; }

    private IterationPlan(int iteration, int size)
    {
        Iteration = iteration;
        CompletionOf = new Completion[size];
        OrderSeed = new ulong[size];
    }

    /// <summary>The plan of <paramref name="iteration"/> in a group of <paramref name="size"/> ranks, migration requests included.</summary>
    public static IterationPlan Create(SoakShape shape, int iteration, int size)
    {
        var plan = new IterationPlan(iteration, size);
        var random = new SoakRandom(SoakRandom.Hash(shape.Seed, 0x17E4A7, (ulong)iteration));
        int count = random.Between(size / 2, shape.MessagesPerRank * size);
        var pairCount = new Dictionary<(int, int), int>();
        var drafts = new List<(int Source, int Destination, int Bytes, SendStyle Send, ReceiveStyle Receive, bool Carried)>();
        for (int m = 0; m < count; m++)
        {
            int source = random.Next(size);
            int destination = (source + 1 + random.Next(size - 1)) % size;
            int bytes = DrawSize(ref random, shape.MaxBytes);
            SendStyle send = random.Chance(0.6) ? SendStyle.Isend : SendStyle.Send;
            ReceiveStyle receive;
            if (send == SendStyle.Send)
            {
                receive = (ReceiveStyle)(1 + 2 * random.Next(3)); // a non-blocking receive (pre-posted)
            }
            else
            {
                receive = (ReceiveStyle)random.Next(6);
            }
            bool carried = send == SendStyle.Isend && random.Chance(0.15);
            drafts.Add((source, destination, bytes, send, receive, carried));
            pairCount[(source, destination)] = pairCount.GetValueOrDefault((source, destination)) + 1;
        }
        int tagBase = 1 + iteration % IterationsPerTagCycle * TagWindow;
        for (int m = 0; m < drafts.Count; m++)
        {
            var d = drafts[m];
            ReceiveStyle receive = d.Receive;
            if (receive is ReceiveStyle.RecvAnyTag or ReceiveStyle.IrecvAnyTag && pairCount[(d.Source, d.Destination)] > 1)
            {
                receive = receive == ReceiveStyle.RecvAnyTag ? ReceiveStyle.Recv : ReceiveStyle.Irecv; // not the only message of the pair
            }
            plan.Messages.Add(new PlannedMessage(m, d.Source, d.Destination, tagBase + m, d.Bytes, d.Send, receive, d.Carried));
        }
        for (int r = 0; r < size; r++)
        {
            plan.CompletionOf[r] = (Completion)random.Next(3);
            plan.OrderSeed[r] = random.Next();
        }
        int collectives = random.Next(4);
        bool synchronizing = false;
        for (int c = 0; c < collectives; c++)
        {
            var kind = (CollectiveKind)random.Next(12);
            synchronizing |= kind is CollectiveKind.Barrier or CollectiveKind.Allreduce or CollectiveKind.AllreduceInPlace
                or CollectiveKind.AllreduceValue or CollectiveKind.Allgather or CollectiveKind.Alltoall or CollectiveKind.Alltoallv;
            plan.Collectives.Add(new PlannedCollective(kind, random.Next(size), DrawCount(ref random), random.Next(4), random.Next()));
        }
        if (!synchronizing && iteration % 8 == 7)
        {
            // Keeps ranks within a few iterations of each other, well inside the 32-iteration tag cycle.
            plan.Collectives.Add(new PlannedCollective(CollectiveKind.Allreduce, 0, 4, 0, random.Next()));
        }
        foreach (var request in shape.RequestsAt(iteration, size))
        {
            plan.Requests.Add(request);
        }
        return plan;
    }

    /// <summary>Sizes from 0 B to the maximum (1 MiB): eager (up to 4 KiB) and rendezvous, with the boundaries.</summary>
    private static int DrawSize(ref SoakRandom random, int maxBytes)
    {
        int bytes = random.Next(100) switch
        {
            < 8 => 0,
            < 22 => random.Between(1, Payload.FramedBytes - 1),
            < 40 => random.Between(Payload.FramedBytes, 1024),
            < 52 => random.Between(1025, 4096),
            < 56 => 4096 + random.Between(-8, 8),
            < 74 => random.Between(4097, 65536),
            < 86 => random.Between(65537, 262144),
            < 96 => random.Between(262145, 1 << 20),
            _ => 1 << 20,
        };
        return Math.Min(bytes, maxBytes);
    }

    private static int DrawCount(ref SoakRandom random) => random.Next(4) switch
    {
        0 => 1,
        1 => random.Between(2, 16),
        2 => random.Between(17, 1024),
        _ => random.Between(1025, 8192),
    };

    /// <summary>
    /// The order in which <paramref name="sender"/> sends its messages: its Isends in plan order,
    /// then its blocking Sends in plan order. Sequence numbers follow this order.
    /// </summary>
    public IEnumerable<PlannedMessage> SendOrder(int sender) =>
        Messages.Where(m => m.Source == sender && m.Send == SendStyle.Isend)
            .Concat(Messages.Where(m => m.Source == sender && m.Send == SendStyle.Send));
}
