using System.Buffers.Binary;
using System.Text;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol.Messages;

/// <summary>
/// The one encoding of the <see cref="ReplacementHeader"/> (tag <see cref="ControlTag.Header"/>,
/// docs/PROTOCOL.md "The replacement header"): a preamble of the magic "MTNH", the format
/// <see cref="Version"/> and the body's length (int32 each, little-endian), then every field in
/// a fixed order: integers and doubles little-endian, bools one byte (0 or 1), strings and byte
/// arrays as an int32 length (-1: null) and their (UTF-8) bytes, lists as an int32 count (-1:
/// null) and their items. Plain code with no reflection, so it runs the same under Native AOT
/// and, precompiled in Mitten's ReadyToRun image, compiles nothing on a spawned replacement (the
/// System.Text.Json metadata it replaces compiled ~160 methods there during MPI_Init;
/// bench/RESULTS.md "spawn18"). A header that is not one (wrong magic or version, a length or
/// count past its end, bytes left over) is refused with an <see cref="InvalidDataException"/>
/// that says which field.
/// </summary>
internal static class HeaderCodec
{
    /// <summary>"MTNH" read as a little-endian int32.</summary>
    internal const int Magic = 0x484E544D;

    /// <summary>The format's version; a replacement refuses any other (both ends run the same program).</summary>
    internal const int Version = 1;

    /// <summary>Magic, version and the body's length.</summary>
    internal const int PreambleLength = 12;

    internal static byte[] Encode(ReplacementHeader h)
    {
        var w = new Writer();
        w.Int(Magic);
        w.Int(Version);
        w.Int(0); // the body's length, set below
        w.Long(h.MigrationId);
        w.String(h.RequestId);
        w.Int(h.Rank);
        w.Int(h.Size);
        w.Long(h.Superstep);
        w.Long(h.Collectives);
        w.String(h.FromHost);
        w.String(h.ToHost);
        w.Int(h.FromPid);
        w.Double(h.SignalUnixMs);
        w.String(h.TraceParent);
        w.Int(h.Timeline?.Count ?? -1);
        foreach (PhaseTime p in h.Timeline ?? [])
        {
            w.String(p.Phase);
            w.Double(p.Seconds);
        }
        w.Double(h.ProtocolSeconds);
        w.Double(h.FreezeWaitSeconds);
        w.Double(h.LockWaitSeconds);
        w.Double(h.FreezeStartUnixMs);
        w.Long(h.StateBytes);
        w.String(h.StateChannel);
        w.String(h.JobDirectory);
        w.String(h.Fault);
        w.Int(h.KnownHosts?.Count ?? -1);
        foreach (string host in h.KnownHosts ?? [])
        {
            w.String(host);
        }
        w.Int(h.PendingRequests?.Count ?? -1);
        foreach (PendingRequest r in h.PendingRequests ?? [])
        {
            w.String(r.Id);
            w.String(r.Host);
            w.String(r.CheckpointDirectory);
        }
        w.String(h.LastCheckpointDirectory);
        w.Int(h.Spares?.Count ?? -1);
        foreach (SpareInfo s in h.Spares ?? [])
        {
            WriteSpare(w, s);
        }
        w.Int(h.PoolId);
        w.Ints(h.PoolMembers?.ToArray());
        w.Bool(h.Prepared);
        w.Int(h.ReplenishedSpare);
        w.Bool(h.FinalHeaderFollows);
        w.Bool(h.Derived is not null);
        if (h.Derived is { } d)
        {
            WriteDerived(w, d);
        }
        return w.Finish();
    }

    /// <exception cref="InvalidDataException">The bytes are not a header of this <see cref="Version"/>.</exception>
    internal static ReplacementHeader Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < PreambleLength)
        {
            throw new InvalidDataException($"migration header: {bytes.Length} bytes, shorter than its {PreambleLength}-byte preamble");
        }
        int magic = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (magic != Magic)
        {
            throw new InvalidDataException($"migration header: starts with 0x{magic:X8}, not Mitten's header (0x{Magic:X8}, \"MTNH\")");
        }
        if (version != Version)
        {
            throw new InvalidDataException($"migration header: format version {version}; this program reads version {Version} (the moving rank runs another Mitten)");
        }
        if (length != bytes.Length - PreambleLength)
        {
            throw new InvalidDataException($"migration header: announces {length} bytes after its preamble, {bytes.Length - PreambleLength} came");
        }
        var r = new Reader(bytes[PreambleLength..]);
        var h = new ReplacementHeader
        {
            MigrationId = r.Long("migration id"),
            RequestId = r.String("request id") ?? "",
            Rank = r.Int("rank"),
            Size = r.Int("size"),
            Superstep = r.Long("superstep"),
            Collectives = r.Long("collectives"),
            FromHost = r.String("from host") ?? "",
            ToHost = r.String("to host") ?? "",
            FromPid = r.Int("from pid"),
            SignalUnixMs = r.Double("signal time"),
            TraceParent = r.String("trace parent"),
        };
        int phases = r.Count("timeline", 12);
        for (int i = 0; i < phases; i++)
        {
            h.Timeline.Add(new PhaseTime(r.String("phase") ?? "", r.Double("phase time")));
        }
        h.ProtocolSeconds = r.Double("protocol seconds");
        h.FreezeWaitSeconds = r.Double("freeze wait seconds");
        h.LockWaitSeconds = r.Double("lock wait seconds");
        h.FreezeStartUnixMs = r.Double("freeze start");
        h.StateBytes = r.Long("state bytes");
        h.StateChannel = r.String("state channel") ?? "";
        h.JobDirectory = r.String("job directory");
        h.Fault = r.String("fault");
        int hosts = r.Count("known hosts", 4);
        for (int i = 0; i < hosts; i++)
        {
            h.KnownHosts.Add(r.String("known host") ?? "");
        }
        int pending = r.Count("pending requests", 12);
        for (int i = 0; i < pending; i++)
        {
            h.PendingRequests.Add(new PendingRequest(r.String("request id") ?? "", r.String("request host"), r.String("request checkpoint directory")));
        }
        h.LastCheckpointDirectory = r.String("last checkpoint directory");
        int spares = r.Count("spares", 38);
        for (int i = 0; i < spares; i++)
        {
            h.Spares.Add(ReadSpare(ref r));
        }
        h.PoolId = r.Int("pool id");
        h.PoolMembers = r.Ints("pool members")?.ToList();
        h.Prepared = r.Bool("prepared");
        h.ReplenishedSpare = r.Int("replenished spare");
        h.FinalHeaderFollows = r.Bool("final header follows");
        h.Derived = r.Bool("derived communicators present") ? ReadDerived(ref r) : null;
        r.End();
        return h;
    }

    private static void WriteSpare(Writer w, SpareInfo s)
    {
        w.Int(s.Id);
        w.String(s.Host);
        w.Int(s.Pid);
        w.Int(s.DoorbellPort);
        w.String(s.MpiPort);
        w.Bool(s.Unavailable);
        w.Int(s.Pool);
        w.Int(s.PoolRank);
        w.Bool(s.Replenishing);
        w.Long(s.ReplenishDeadlineUnixMs);
    }

    private static SpareInfo ReadSpare(ref Reader r) => new()
    {
        Id = r.Int("spare id"),
        Host = r.String("spare host") ?? "",
        Pid = r.Int("spare pid"),
        DoorbellPort = r.Int("spare doorbell"),
        MpiPort = r.String("spare port") ?? "",
        Unavailable = r.Bool("spare unavailable"),
        Pool = r.Int("spare pool"),
        PoolRank = r.Int("spare pool rank"),
        Replenishing = r.Bool("spare replenishing"),
        ReplenishDeadlineUnixMs = r.Long("spare replenish deadline"),
    };

    private static void WriteDerived(Writer w, DerivedCommunicatorState d)
    {
        w.Int(d.NextId);
        w.Int(d.GroupCreationsMade);
        w.Int(d.Channels?.Count ?? -1);
        foreach (DerivedChannelRecord c in d.Channels ?? [])
        {
            w.Int(c.ParentId);
            w.Int(c.Index);
            w.Int(c.Color);
            w.Int(c.Id);
            w.Int(c.Rank);
            w.Ints(c.GroupRanks ?? []);
            w.Ints(c.Dimensions);
            w.Bools(c.Periods);
            w.Bool(c.Freed);
            w.Long(c.Collectives);
            w.Int(c.CreationsMade);
            w.Bytes(c.Received);
        }
        w.Int(d.Calls?.Count ?? -1);
        foreach (CreationCall call in d.Calls ?? [])
        {
            w.Int(call.Id);
            w.String(call.Signature);
        }
        w.Int(d.UnclaimedCheckpointMessages?.Count ?? -1);
        foreach ((string key, byte[] list) in d.UnclaimedCheckpointMessages ?? [])
        {
            w.String(key);
            w.Bytes(list);
        }
    }

    private static DerivedCommunicatorState ReadDerived(ref Reader r)
    {
        var d = new DerivedCommunicatorState { NextId = r.Int("derived next id"), GroupCreationsMade = r.Int("derived creations made") };
        int channels = r.Count("derived channels", 44);
        for (int i = 0; i < channels; i++)
        {
            d.Channels.Add(new DerivedChannelRecord
            {
                ParentId = r.Int("channel parent"),
                Index = r.Int("channel index"),
                Color = r.Int("channel color"),
                Id = r.Int("channel id"),
                Rank = r.Int("channel rank"),
                GroupRanks = r.Ints("channel group ranks") ?? [],
                Dimensions = r.Ints("channel dimensions"),
                Periods = r.Bools("channel periods"),
                Freed = r.Bool("channel freed"),
                Collectives = r.Long("channel collectives"),
                CreationsMade = r.Int("channel creations made"),
                Received = r.Bytes("channel received messages"),
            });
        }
        int calls = r.Count("creation calls", 8);
        for (int i = 0; i < calls; i++)
        {
            d.Calls.Add(new CreationCall { Id = r.Int("creation call id"), Signature = r.String("creation call") ?? "" });
        }
        int unclaimed = r.Count("unclaimed checkpoint messages", 8);
        if (unclaimed >= 0)
        {
            d.UnclaimedCheckpointMessages = new Dictionary<string, byte[]>(unclaimed);
            for (int i = 0; i < unclaimed; i++)
            {
                string key = r.String("unclaimed key") ?? "";
                if (!d.UnclaimedCheckpointMessages.TryAdd(key, r.Bytes("unclaimed messages") ?? []))
                {
                    throw new InvalidDataException($"migration header: unclaimed checkpoint messages name '{key}' twice");
                }
            }
        }
        return d;
    }

    /// <summary>A growing buffer the fields are appended to.</summary>
    private sealed class Writer
    {
        private byte[] buffer = new byte[1024];
        private int length;

        private Span<byte> Take(int n)
        {
            if (length + n > buffer.Length)
            {
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + n));
            }
            Span<byte> span = buffer.AsSpan(length, n);
            length += n;
            return span;
        }

        internal void Int(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

        internal void Long(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

        internal void Double(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Take(8), value);

        internal void Bool(bool value) => Take(1)[0] = value ? (byte)1 : (byte)0;

        internal void String(string? value)
        {
            if (value is null)
            {
                Int(-1);
                return;
            }
            int n = Encoding.UTF8.GetByteCount(value);
            Int(n);
            _ = Encoding.UTF8.GetBytes(value, Take(n));
        }

        internal void Bytes(byte[]? value)
        {
            Int(value?.Length ?? -1);
            value?.CopyTo(Take(value.Length));
        }

        internal void Ints(int[]? values)
        {
            Int(values?.Length ?? -1);
            foreach (int v in values ?? [])
            {
                Int(v);
            }
        }

        internal void Bools(bool[]? values)
        {
            Int(values?.Length ?? -1);
            foreach (bool v in values ?? [])
            {
                Bool(v);
            }
        }

        /// <summary>The bytes, with the body's length written into the preamble.</summary>
        internal byte[] Finish()
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), length - PreambleLength);
            return buffer.AsSpan(0, length).ToArray();
        }
    }

    /// <summary>Reads the fields in order; every read is checked against the end of the body.</summary>
    private ref struct Reader(ReadOnlySpan<byte> body)
    {
        private readonly ReadOnlySpan<byte> body = body;
        private int position;

        private ReadOnlySpan<byte> Take(int n, string what)
        {
            if (n > body.Length - position)
            {
                throw new InvalidDataException($"migration header: {what} ({n} bytes at offset {position}) runs past the end of the {body.Length}-byte body");
            }
            ReadOnlySpan<byte> span = body.Slice(position, n);
            position += n;
            return span;
        }

        internal int Int(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

        internal long Long(string what) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));

        internal double Double(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

        internal bool Bool(string what) => Take(1, what)[0] switch
        {
            0 => false,
            1 => true,
            byte b => throw new InvalidDataException($"migration header: {what} is {b}, not a bool (offset {position - 1})"),
        };

        /// <summary>A count or length: -1 (null) or at most the bytes left, each item taking at least <paramref name="itemBytes"/>.</summary>
        internal int Count(string what, int itemBytes)
        {
            int n = Int(what);
            if (n < -1 || (n > 0 && n > (body.Length - position) / itemBytes))
            {
                throw new InvalidDataException($"migration header: {what} announces {n} items of at least {itemBytes} bytes with {body.Length - position} bytes left");
            }
            return n;
        }

        internal string? String(string what)
        {
            int n = Count(what, 1);
            return n < 0 ? null : Encoding.UTF8.GetString(Take(n, what));
        }

        internal byte[]? Bytes(string what)
        {
            int n = Count(what, 1);
            return n < 0 ? null : Take(n, what).ToArray();
        }

        internal int[]? Ints(string what)
        {
            int n = Count(what, 4);
            if (n < 0)
            {
                return null;
            }
            int[] values = new int[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = Int(what);
            }
            return values;
        }

        internal bool[]? Bools(string what)
        {
            int n = Count(what, 1);
            if (n < 0)
            {
                return null;
            }
            bool[] values = new bool[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = Bool(what);
            }
            return values;
        }

        /// <summary>Every byte of the body was a field.</summary>
        internal readonly void End()
        {
            if (position != body.Length)
            {
                throw new InvalidDataException($"migration header: {body.Length - position} bytes left after the last field (offset {position})");
            }
        }
    }
}
