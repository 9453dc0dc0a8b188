using System.Runtime.InteropServices;
using Mitten.Checkpoint.Communication;
using Mitten.Checkpoint.State;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>A [Migratable] class that can be copied field by field (its mark included).</summary>
[Migratable]
public partial class CopyableNode
{
    public int Value;
    public CopyableNode? Next;

    public CopyableNode Copy() => (CopyableNode)MemberwiseClone();
}

/// <summary>A [Migratable] record: it keeps its value equality, so it gets no mark field.</summary>
[Migratable]
public partial record RecordPoint(int X, int Y);

/// <summary>Arrays of several element sizes in one object, for the block path.</summary>
[Migratable]
public partial class Arrays
{
    public double[]? Doubles;
    public float[]? Floats;
    public long[]? Longs;
    public short[]? Shorts;
    public byte[]? Bytes;
    public double[]? AlsoDoubles;
}

/// <summary>
/// The fast paths of the state stream: large primitive blocks (copied and checksummed in place),
/// the checksum itself, and the identity of objects found through marks or the identity table.
/// </summary>
public class FastPathTests
{
    private static StateTypeRegistry Types() => Registries.All()
        .Register<CopyableNode>()
        .Register<RecordPoint>()
        .Register<Arrays>();

    private static double[] RandomDoubles(int count, int seed)
    {
        var random = new Random(seed);
        var values = new double[count];
        random.NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        values[0] = BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF); // NaN with a payload
        values[1] = -0.0;
        values[2] = double.Epsilon;                                     // subnormal
        values[^1] = BitConverter.Int64BitsToDouble(unchecked((long)0xFFF0_0000_0000_0001)); // signalling NaN
        return values;
    }

    private static T Restore<T>(byte[] bytes) => StateSerializer.Restore<T>(new MemoryStream(bytes), Types());

    private static byte[] Save<T>(T root, StateWriteOptions? options = null)
    {
        var stream = new MemoryStream();
        StateSerializer.Save(root, stream, Types(), options ?? new StateWriteOptions());
        return stream.ToArray();
    }

    [Theory]
    [InlineData(StateByteOrder.Native)]
    [InlineData(StateByteOrder.BigEndian)]
    [InlineData(StateByteOrder.LittleEndian)]
    public void Large_arrays_of_every_element_size_round_trip_bit_exact_in_either_byte_order(StateByteOrder order)
    {
        var random = new Random(3);
        var a = new Arrays
        {
            Doubles = RandomDoubles(2_000_003, 1),        // 16 MB, length not a multiple of 32 bytes
            Floats = new float[300_001],
            Longs = new long[70_001],
            Shorts = new short[90_007],
            Bytes = new byte[1_000_003],
        };
        random.NextBytes(MemoryMarshal.AsBytes(a.Floats.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(a.Longs.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(a.Shorts.AsSpan()));
        random.NextBytes(a.Bytes);
        a.AlsoDoubles = a.Doubles;                        // a shared block is written once

        byte[] bytes = Save(a, new StateWriteOptions { ByteOrder = order });
        long payload = a.Doubles.Length * 8L + a.Floats.Length * 4L + a.Longs.Length * 8L + a.Shorts.Length * 2L + a.Bytes.Length;
        Assert.InRange(bytes.LongLength, payload, payload + 4096);
        Arrays b = Restore<Arrays>(bytes);

        Assert.True(MemoryMarshal.AsBytes(a.Doubles.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Doubles.AsSpan())), "doubles bit for bit");
        Assert.True(MemoryMarshal.AsBytes(a.Floats.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Floats.AsSpan())), "floats bit for bit");
        Assert.Equal(a.Longs, b.Longs);
        Assert.Equal(a.Shorts, b.Shorts);
        Assert.Equal(a.Bytes, b.Bytes);
        Assert.Same(b.Doubles, b.AlsoDoubles);

        // The opposite byte order really is in the stream: the first double's bytes appear reversed.
        byte[] first = BitConverter.GetBytes(BitConverter.DoubleToInt64Bits(a.Doubles[0]));
        bool reversed = order == StateByteOrder.BigEndian == BitConverter.IsLittleEndian;
        if (reversed)
        {
            Array.Reverse(first);
        }
        Assert.True(bytes.AsSpan().IndexOf(first) > 0);
    }

    [Fact]
    public void A_flipped_bit_or_two_swapped_words_in_a_large_block_are_detected()
    {
        double[] values = RandomDoubles(400_000, 2);     // 3.2 MB: one block frame
        byte[] bytes = Save(values);
        Assert.True(Restore<double[]>(bytes).AsSpan().SequenceEqual(values));
        // Layout tail: block payload | block checksum (8) | end frame (17).
        int blockEnd = bytes.Length - 17 - 8;
        int blockStart = blockEnd - values.Length * 8;
        var random = new Random(4);
        var positions = new List<int> { blockStart, blockStart + 1, blockEnd - 1, (blockStart + blockEnd) / 2, blockEnd, blockEnd + 7 };
        for (int i = 0; i < 40; i++)
        {
            positions.Add(random.Next(blockStart, blockEnd));
        }
        foreach (int at in positions)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[at] ^= (byte)(1 << random.Next(8));
            var e = Assert.Throws<StateFormatException>(() => Restore<double[]>(bad));
            Assert.Equal(StateProblem.Corrupted, e.Problem);
            Assert.Contains("block frame", e.Message);
        }

        // Two different 8-byte words exchanged: every lane sum stays, the sum of sums does not.
        int w1 = blockStart + 8 * 1000, w2 = blockStart + 8 * 1004;
        byte[] swapped = (byte[])bytes.Clone();
        Assert.False(swapped.AsSpan(w1, 8).SequenceEqual(swapped.AsSpan(w2, 8)));
        bytes.AsSpan(w2, 8).CopyTo(swapped.AsSpan(w1, 8));
        bytes.AsSpan(w1, 8).CopyTo(swapped.AsSpan(w2, 8));
        Assert.Equal(StateProblem.Corrupted, Assert.Throws<StateFormatException>(() => Restore<double[]>(swapped)).Problem);
    }

    /// <summary>A tree of <paramref name="count"/> nodes plus one node that many others also point at.</summary>
    private static (TreeNode Root, TreeNode Shared) SharedTree(int count)
    {
        var shared = new TreeNode { Value = -1, Left = new TreeNode { Value = -2 } };
        var nodes = new TreeNode[count];
        for (int i = count - 1; i >= 0; i--)
        {
            nodes[i] = new TreeNode
            {
                Value = i,
                Left = 2 * i + 1 < count ? nodes[2 * i + 1] : shared,
                Right = 2 * i + 2 < count ? nodes[2 * i + 2] : (i % 3 == 0 ? shared : null),
            };
        }
        return (nodes[0], shared);
    }

    private static void CheckSharedTree(TreeNode root, int count)
    {
        var seen = new HashSet<TreeNode>(ReferenceEqualityComparer.Instance);
        var sharedOnes = new HashSet<TreeNode>(ReferenceEqualityComparer.Instance);
        var work = new Stack<TreeNode>();
        work.Push(root);
        while (work.Count > 0)
        {
            TreeNode n = work.Pop();
            if (!seen.Add(n))
            {
                continue;
            }
            if (n.Value == -1)
            {
                sharedOnes.Add(n);
            }
            if (n.Left is not null)
            {
                work.Push(n.Left);
            }
            if (n.Right is not null)
            {
                work.Push(n.Right);
            }
        }
        Assert.Equal(count + 2, seen.Count);
        Assert.Single(sharedOnes);
    }

    [Fact]
    public void Saves_running_at_once_on_one_shared_graph_each_keep_its_identity()
    {
        const int Count = 30_000;
        var (root, _) = SharedTree(Count);
        var types = Types();
        var failures = new List<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 6; i++)
                {
                    var stream = new MemoryStream();
                    StateSaveReport report = StateSerializer.Save(root, stream, types, new StateWriteOptions());
                    Assert.Equal(Count + 2, report.Objects);
                    stream.Position = 0;
                    CheckSharedTree(StateSerializer.Restore<TreeNode>(stream, types), Count);
                }
            }
            catch (Exception e)
            {
                lock (failures)
                {
                    failures.Add(e.ToString());
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void Marks_left_by_earlier_saves_or_copied_with_an_object_do_not_mislead_a_later_save()
    {
        // First save: every node of the chain gets a mark.
        var nodes = Enumerable.Range(0, 50).Select(i => new CopyableNode { Value = i }).ToArray();
        for (int i = 0; i < nodes.Length - 1; i++)
        {
            nodes[i].Next = nodes[i + 1];
        }
        CopyableNode chain = Restore<CopyableNode>(Save(nodes[0]));
        Assert.Equal(49, Walk(chain).Last().Value);

        // Second save: the same nodes in reverse order, plus copies that carry the originals' marks.
        var copies = nodes.Select(n => n.Copy()).ToArray();
        var list = new List<CopyableNode>();
        for (int i = nodes.Length - 1; i >= 0; i--)
        {
            list.Add(copies[i]);
            list.Add(nodes[i]);
            list.Add(copies[i]);
        }
        List<CopyableNode> back = Restore<List<CopyableNode>>(Save(list));
        Assert.Equal(list.Count, back.Count);
        var distinct = new HashSet<CopyableNode>(back, ReferenceEqualityComparer.Instance);
        Assert.Equal(2 * nodes.Length, distinct.Count);
        for (int k = 0; k < back.Count; k += 3)
        {
            int value = nodes.Length - 1 - k / 3;
            Assert.Same(back[k], back[k + 2]);
            Assert.NotSame(back[k], back[k + 1]);
            Assert.Equal(value, back[k].Value);
            Assert.Equal(value, back[k + 1].Value);
        }
        // Copy and original point at the same next original node, restored once.
        Assert.Same(back[0].Next, back[1].Next);
        Assert.Null(back[0].Next);
        Assert.Same(back[3].Next, back[1]);
        Assert.Same(back[4].Next, back[1]);
    }

    private static IEnumerable<CopyableNode> Walk(CopyableNode? n)
    {
        for (; n is not null; n = n.Next)
        {
            yield return n;
        }
    }

    [Fact]
    public void Many_shared_objects_without_marks_keep_their_identity_through_the_identity_table()
    {
        var arrays = Enumerable.Range(0, 60_000).Select(i => new[] { i, -i }).ToList();
        var points = Enumerable.Range(0, 20_000).Select(i => new Point(i, -i, null)).ToList();
        var everything = new List<object?>();
        for (int i = 0; i < arrays.Count; i++)
        {
            everything.Add(arrays[i]);
            everything.Add(points[i % points.Count]);
        }
        everything.AddRange(arrays.AsEnumerable().Reverse());
        var back = Restore<List<object?>>(Save(everything));
        Assert.Equal(everything.Count, back.Count);
        for (int i = 0; i < arrays.Count; i++)
        {
            var a = Assert.IsType<int[]>(back[2 * i]);
            Assert.Equal(new[] { i, -i }, a);
            Assert.Same(a, back[everything.Count - 1 - i]);
            var p = Assert.IsType<Point>(back[2 * i + 1]);
            Assert.Equal(i % points.Count, p.X);
            if (i >= points.Count)
            {
                Assert.Same(p, back[2 * (i - points.Count) + 1]);
            }
        }
    }

    [Fact]
    public void A_migratable_record_keeps_its_value_equality_and_classes_get_marks()
    {
        var a = new RecordPoint(1, 2);
        var b = new RecordPoint(1, 2);
        Assert.Equal(a, b);
        List<RecordPoint> back = Restore<List<RecordPoint>>(Save(new List<RecordPoint> { a, b, a }));
        Assert.Equal(a, b);                      // saving changed nothing that equality sees
        Assert.Equal(a, back[0]);
        Assert.Same(back[0], back[2]);
        Assert.NotSame(back[0], back[1]);
        Assert.False(a is IStateMarked);
        Assert.True(new TreeNode() is IStateMarked);
    }

    private sealed class Holder(int value)
    {
        public int Value { get; } = value;
    }

    [Fact]
    public void A_writer_or_reader_kept_after_its_save_or_restore_cannot_touch_pooled_buffers()
    {
        StateWriter? keptWriter = null;
        StateReader? keptReader = null;
        var types = new StateTypeRegistry().Register<Holder>(
            (w, h) => { keptWriter = w; w.Write(h.Value); },
            r => { keptReader = r; return new Holder(r.Read<int>()); });
        var stream = new MemoryStream();
        StateSerializer.Save(new Holder(5), stream, types);
        stream.Position = 0;
        Assert.Equal(5, StateSerializer.Restore<Holder>(stream, types).Value);
        Assert.ThrowsAny<Exception>(() => keptWriter!.Write(1.5));
        Assert.ThrowsAny<Exception>(() => keptReader!.Read<double>());
        // The pools still hand out intact buffers: another save and restore work.
        var again = new MemoryStream();
        StateSerializer.Save(new Holder(6), again, types);
        again.Position = 0;
        Assert.Equal(6, StateSerializer.Restore<Holder>(again, types).Value);
    }

    [Fact]
    public void The_received_message_list_detects_every_altered_byte_with_the_shared_checksum()
    {
        var list = new ReceivedMessageList();
        var random = new Random(6);
        for (int i = 0; i < 20; i++)
        {
            byte[] payload = new byte[random.Next(0, 200)];
            random.NextBytes(payload);
            list.Append(i % 3, 100 + i, payload);
        }
        byte[] bytes = list.Serialize();
        ReceivedMessageList back = ReceivedMessageList.Deserialize(bytes);
        Assert.Equal(list.Messages.Select(m => (m.Source, m.Tag, Convert.ToHexString(m.Payload))),
            back.Messages.Select(m => (m.Source, m.Tag, Convert.ToHexString(m.Payload))));
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            Assert.Throws<InvalidDataException>(() => ReceivedMessageList.Deserialize(bad));
        }
    }
}

/// <summary>
/// The checksum's value depends only on the bytes: processes that compute it with 256-bit vectors,
/// with 128-bit vectors only (DOTNET_EnableAVX2=0), or without hardware vectors
/// (DOTNET_EnableHWIntrinsic=0) write identical streams and read each other's.
/// </summary>
public sealed class ChecksumAcrossVectorWidthsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("mitten-state-").FullName;

    public void Dispose() => Directory.Delete(directory, true);

    private static readonly Dictionary<string, Dictionary<string, string>> Machines = new()
    {
        ["default"] = new(),
        ["no-avx2"] = new() { ["DOTNET_EnableAVX2"] = "0" },
        ["no-vectors"] = new() { ["DOTNET_EnableHWIntrinsic"] = "0" },
    };

    private static MpiJob Driver(string machine, string verb, string file)
    {
        MpiJob job = MpiJob.Execute(MpiJob.Driver("StateStreamDriver"), [verb, file], TimeSpan.FromSeconds(60), Machines[machine]);
        Assert.True(job.ExitCode == 0, $"{machine} {verb}\n" + job.Describe());
        Assert.Contains($"CHECK {verb} ok", job.Stdout);
        if (machine != "default")
        {
            Assert.Contains("VECTOR256 false", job.Stdout);   // the setting really took the other path
        }
        return job;
    }

    [Fact]
    public void Streams_written_with_different_vector_widths_are_identical_and_read_back_everywhere()
    {
        var files = Machines.Keys.ToDictionary(m => m, m => Path.Combine(directory, m + ".state"));
        foreach (string machine in Machines.Keys)
        {
            Driver(machine, "write", files[machine]);
        }
        byte[] reference = File.ReadAllBytes(files["default"]);
        Assert.True(reference.Length > 8_000_000);
        foreach (string machine in Machines.Keys)
        {
            Assert.True(reference.AsSpan().SequenceEqual(File.ReadAllBytes(files[machine])), machine + " wrote other bytes");
        }
        Driver("no-avx2", "read", files["default"]);
        Driver("default", "read", files["no-avx2"]);

        // The 128-bit path also rejects a damaged block.
        byte[] damaged = (byte[])reference.Clone();
        damaged[reference.Length / 2] ^= 0x10;
        string bad = Path.Combine(directory, "damaged.state");
        File.WriteAllBytes(bad, damaged);
        MpiJob job = MpiJob.Execute(MpiJob.Driver("StateStreamDriver"), ["read", bad], TimeSpan.FromSeconds(60), Machines["no-avx2"]);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("CHECK read FAIL checksum mismatch in block frame", job.Stdout);
    }
}

/// <summary>A [Migratable] class of explicit layout: it gets no mark field (that field would need an offset).</summary>
[Migratable]
[StructLayout(LayoutKind.Explicit)]
public partial class ExplicitPair
{
    [FieldOffset(0)] public long Whole;
    [FieldOffset(8)] public int Extra;
}

public class ExplicitLayoutTests
{
    [Fact]
    public void A_migratable_class_of_explicit_layout_round_trips_without_a_mark()
    {
        var types = new StateTypeRegistry().Register<ExplicitPair>();
        var pair = new ExplicitPair { Whole = 0x1122334455667788, Extra = -5 };
        var stream = new MemoryStream();
        StateSerializer.Save(new List<ExplicitPair> { pair, pair }, stream, types);
        stream.Position = 0;
        List<ExplicitPair> back = StateSerializer.Restore<List<ExplicitPair>>(stream, types);
        Assert.Equal((pair.Whole, pair.Extra), (back[0].Whole, back[0].Extra));
        Assert.Same(back[0], back[1]);
        Assert.False(pair is IStateMarked);
    }
}
