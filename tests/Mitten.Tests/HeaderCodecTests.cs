using System.Buffers.Binary;
using System.Collections;
using System.Reflection;
using Mitten.Protocol;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>The replacement header survives its one encoding, field by field, and a bad one is refused with the reason (no MPI needed).</summary>
public class HeaderCodecTests
{
    /// <summary>Every field of the header and of what it holds set to a value that is not its default.</summary>
    private static ReplacementHeader Full() => new()
    {
        MigrationId = 0x0102_0304_0506_0708,
        RequestId = "m20261203-ab12",
        Rank = 5,
        Size = 8,
        Superstep = 41,
        Collectives = 1234567890123,
        FromHost = "h1",
        ToHost = "node-ü.example.org",
        FromPid = 4242,
        SignalUnixMs = 1764777777123.25,
        TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        Timeline = [new PhaseTime("stopped", 0.0125), new PhaseTime("synchronized", 0.031)],
        ProtocolSeconds = 0.0026,
        FreezeWaitSeconds = 0.0011,
        LockWaitSeconds = 0.0004,
        FreezeStartUnixMs = 1764777777150.5,
        StateBytes = 4194885,
        StateChannel = "shm:123:45:67108864",
        JobDirectory = "/tmp/job dir/\"x\"",
        Fault = "die-before-restore",
        KnownHosts = ["h1", "h2", ""],
        PendingRequests = [new PendingRequest("r1", "h2", "/ck/1"), new PendingRequest("r2", null, null)],
        LastCheckpointDirectory = "/ck/last",
        Spares =
        [
            new SpareInfo
            {
                Id = 3, Host = "h2", Pid = 99, DoorbellPort = 40001, MpiPort = "2953052161.0:1977542529", Unavailable = true,
                Pool = 1, PoolRank = 9, Replenishing = true, ReplenishDeadlineUnixMs = 1764777790000,
            },
            new SpareInfo(),
        ],
        PoolId = 1,
        PoolMembers = [0, 9, 2],
        Prepared = true,
        ReplenishedSpare = 3,
        FinalHeaderFollows = true,
        Derived = new DerivedCommunicatorState
        {
            NextId = 4,
            GroupCreationsMade = 2,
            Channels =
            [
                new DerivedChannelRecord
                {
                    ParentId = 2, Index = 1, Color = 2, Id = 3, Rank = 1, GroupRanks = [0, 2, 4], Dimensions = [2, 2], Periods = [true, false],
                    Freed = true, Collectives = 17, CreationsMade = 1, Received = [1, 2, 3, 255],
                },
                new DerivedChannelRecord { ParentId = 3, Index = 0, Color = -1, Id = -1, Rank = -1 },
            ],
            Calls = [new CreationCall { Id = 3, Signature = "split(2,1)" }],
            UnclaimedCheckpointMessages = new Dictionary<string, byte[]> { ["0.1:2"] = [9, 8], ["0.2:0"] = [] },
        },
    };

    [Fact]
    public void Every_field_decodes_to_what_was_encoded()
    {
        ReplacementHeader header = Full();
        ReplacementHeader decoded = HeaderCodec.Decode(HeaderCodec.Encode(header));
        AssertSame(header, decoded, "header");
    }

    [Fact]
    public void The_full_sample_sets_every_field_so_a_new_field_the_codec_misses_fails_the_round_trip()
    {
        // A property left at its default would round-trip without the codec carrying it.
        AssertNoDefaults(Full(), "header");
    }

    [Fact]
    public void An_empty_header_and_nulls_decode_as_they_were()
    {
        var header = new ReplacementHeader { TraceParent = null, PoolMembers = null, Derived = new DerivedCommunicatorState() };
        AssertSame(header, HeaderCodec.Decode(HeaderCodec.Encode(header)), "header");
        AssertSame(new ReplacementHeader(), HeaderCodec.Decode(HeaderCodec.Encode(new ReplacementHeader())), "header");
    }

    [Fact]
    public void Every_truncation_is_refused_with_the_field_it_cut()
    {
        byte[] bytes = HeaderCodec.Encode(Full());
        for (int n = 0; n < bytes.Length; n++)
        {
            byte[] cut = bytes[..n];
            if (n >= HeaderCodec.PreambleLength)
            {
                BinaryPrimitives.WriteInt32LittleEndian(cut.AsSpan(8), n - HeaderCodec.PreambleLength); // a consistent length: the fields themselves must notice
            }
            var e = Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(cut));
            Assert.StartsWith("migration header: ", e.Message);
        }
    }

    [Fact]
    public void A_wrong_magic_version_length_or_trailing_bytes_are_refused_with_the_reason()
    {
        byte[] good = HeaderCodec.Encode(Full());

        byte[] json = "{\"MigrationId\":1}"u8.ToArray();
        Assert.Contains("not Mitten's header", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(json)).Message);

        byte[] version = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(version.AsSpan(4), HeaderCodec.Version + 1);
        Assert.Contains($"format version {HeaderCodec.Version + 1}", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(version)).Message);

        byte[] shortened = good[..^1];
        Assert.Contains("came", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(shortened)).Message);

        byte[] longer = [.. good, 0];
        BinaryPrimitives.WriteInt32LittleEndian(longer.AsSpan(8), longer.Length - HeaderCodec.PreambleLength);
        Assert.Contains("1 bytes left after the last field", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(longer)).Message);

        byte[] hugeCount = HeaderCodec.Encode(new ReplacementHeader());
        int requestIdAt = HeaderCodec.PreambleLength + 8; // after the migration id
        BinaryPrimitives.WriteInt32LittleEndian(hugeCount.AsSpan(requestIdAt), int.MaxValue);
        Assert.Contains("request id announces", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(hugeCount)).Message);
    }

    [Fact]
    public void A_bool_that_is_not_0_or_1_is_refused()
    {
        var header = new ReplacementHeader();
        byte[] bytes = HeaderCodec.Encode(header);
        bytes[^1] = 7; // the last field: whether derived communicators follow
        Assert.Contains("derived communicators present is 7", Assert.Throws<InvalidDataException>(() => HeaderCodec.Decode(bytes)).Message);
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");

    private static void AssertSame(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: {expected ?? "null"} against {actual ?? "null"}");
            return;
        }
        Type type = expected.GetType();
        Assert.Equal(type, actual.GetType());
        if (type.IsPrimitive || type == typeof(string) || type.IsEnum)
        {
            Assert.True(expected.Equals(actual), $"{path}: {expected} against {actual}");
        }
        else if (expected is IDictionary de)
        {
            var da = (IDictionary)actual;
            Assert.Equal(de.Count, da.Count);
            foreach (DictionaryEntry entry in de)
            {
                Assert.True(da.Contains(entry.Key), $"{path}: no key {entry.Key}");
                AssertSame(entry.Value, da[entry.Key], $"{path}[{entry.Key}]");
            }
        }
        else if (expected is IEnumerable e)
        {
            object[] xs = e.Cast<object>().ToArray(), ys = ((IEnumerable)actual).Cast<object>().ToArray();
            Assert.True(xs.Length == ys.Length, $"{path}: {xs.Length} items against {ys.Length}");
            for (int i = 0; i < xs.Length; i++)
            {
                AssertSame(xs[i], ys[i], $"{path}[{i}]");
            }
        }
        else
        {
            foreach (PropertyInfo p in Properties(type))
            {
                AssertSame(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
            }
        }
    }

    private static void AssertNoDefaults(object value, string path)
    {
        Type type = value.GetType();
        if (type.IsPrimitive || type == typeof(string) || value is IEnumerable)
        {
            if (value is IEnumerable items and not string)
            {
                object? first = items.Cast<object>().FirstOrDefault();
                Assert.True(first is not null, $"{path} is empty");
                if (!first.GetType().IsPrimitive && first is not string && first is not IEnumerable && !first.GetType().IsGenericType)
                {
                    AssertNoDefaults(first, path + "[0]"); // the first item has every field set; later ones may be defaults
                }
            }
            return;
        }
        object fresh = type == typeof(PendingRequest) ? new PendingRequest("", null, null)
            : type == typeof(PhaseTime) ? new PhaseTime("", 0) : Activator.CreateInstance(type)!;
        foreach (PropertyInfo p in Properties(type))
        {
            object? v = p.GetValue(value);
            Assert.False(Equals(v, p.GetValue(fresh)) || v is null, $"{path}.{p.Name} is its default in the sample: set it so the round trip covers it");
            AssertNoDefaults(v!, $"{path}.{p.Name}");
        }
    }
}
