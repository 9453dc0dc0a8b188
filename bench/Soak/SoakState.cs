namespace Mitten.Bench.Soak;

/// <summary>
/// The registered application state, migrated with a rank: the iteration, the per-peer
/// sequence counters, the running result and the error counters. Everything else (buffers,
/// outstanding sends) is rebuilt or completed by the protocol.
/// </summary>
internal sealed class SoakState
{
    public int Iteration;
    /// <summary>Next sequence number per destination.</summary>
    public long[] SentSequence = [];
    /// <summary>Sequence number of the first message of the current iteration, per source.</summary>
    public long[] ReceivedSequence = [];
    /// <summary>Running result: every received payload and collective result, folded in plan order.</summary>
    public ulong Result = 0x50A4;
    public long MessagesReceived;
    public long BytesReceived;
    public long CollectivesCompleted;
    public long Corrupted;
    public long Duplicated;
    public long Reordered;
    /// <summary>Messages that arrived at the wrong receive, per (source, sequence).</summary>
    public HashSet<(int Source, long Sequence)> EarlyArrivals = [];
    /// <summary>Expected messages whose receive got another one, per (source, sequence).</summary>
    public HashSet<(int Source, long Sequence)> Skipped = [];
    /// <summary>Processes this rank has run in (1 + migrations of this rank).</summary>
    public int Generation = 1;

    public static SoakState Create(int size) => new() { SentSequence = new long[size], ReceivedSequence = new long[size] };

    public static IStateCodec<SoakState> Codec { get; } = StateCodec.FromDelegates<SoakState>(Save, Restore);

    private static void Save(SoakState s, Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(s.Iteration);
        WriteArray(w, s.SentSequence);
        WriteArray(w, s.ReceivedSequence);
        w.Write(s.Result);
        w.Write(s.MessagesReceived);
        w.Write(s.BytesReceived);
        w.Write(s.CollectivesCompleted);
        w.Write(s.Corrupted);
        w.Write(s.Duplicated);
        w.Write(s.Reordered);
        WriteSet(w, s.EarlyArrivals);
        WriteSet(w, s.Skipped);
        w.Write(s.Generation);
    }

    private static SoakState Restore(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        return new SoakState
        {
            Iteration = r.ReadInt32(),
            SentSequence = ReadArray(r),
            ReceivedSequence = ReadArray(r),
            Result = r.ReadUInt64(),
            MessagesReceived = r.ReadInt64(),
            BytesReceived = r.ReadInt64(),
            CollectivesCompleted = r.ReadInt64(),
            Corrupted = r.ReadInt64(),
            Duplicated = r.ReadInt64(),
            Reordered = r.ReadInt64(),
            EarlyArrivals = ReadSet(r),
            Skipped = ReadSet(r),
            Generation = r.ReadInt32() + 1, // this process is the next one of the rank
        };
    }

    private static void WriteArray(BinaryWriter w, long[] values)
    {
        w.Write(values.Length);
        foreach (long v in values)
        {
            w.Write(v);
        }
    }

    private static long[] ReadArray(BinaryReader r)
    {
        var values = new long[r.ReadInt32()];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadInt64();
        }
        return values;
    }

    private static void WriteSet(BinaryWriter w, HashSet<(int Source, long Sequence)> set)
    {
        w.Write(set.Count);
        foreach (var (source, sequence) in set)
        {
            w.Write(source);
            w.Write(sequence);
        }
    }

    private static HashSet<(int, long)> ReadSet(BinaryReader r)
    {
        int count = r.ReadInt32();
        var set = new HashSet<(int, long)>(count);
        for (int i = 0; i < count; i++)
        {
            set.Add((r.ReadInt32(), r.ReadInt64()));
        }
        return set;
    }

    /// <summary>Folds one value into the running result.</summary>
    public static ulong Fold(ulong result, ulong value) => SoakRandom.Hash(result, value);
}
