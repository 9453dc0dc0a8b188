using System.IO.Pipes;
using Mitten.Checkpoint.State;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>The state stream in one process: shapes, identity, byte order, safety, pipelining.</summary>
public class StateTests
{
    private static byte[] SaveBytes<T>(T root, StateTypeRegistry types, StateWriteOptions? options = null)
    {
        var stream = new MemoryStream();
        StateSerializer.Save(root, stream, types, options ?? new StateWriteOptions());
        return stream.ToArray();
    }

    private static T RoundTrip<T>(T root, StateWriteOptions? options = null)
    {
        var types = Registries.All();
        byte[] bytes = SaveBytes(root, types, options);
        return StateSerializer.Restore<T>(new MemoryStream(bytes), Registries.All());
    }

    private static Everything MakeEverything()
    {
        var shared = new TreeNode { Value = 7, Left = new TreeNode { Value = 8 } };
        var backing = Enumerable.Range(0, 100).Select(i => i * 0.5).ToArray();
        var ints = new[] { 1, -2, int.MaxValue, int.MinValue };
        return new Everything(42, "get-only")
        {
            Flag = true, B = 200, SB = -100, C = 'ж', S = -12345, US = 54321, I = -7, UI = uint.MaxValue,
            L = long.MinValue, UL = ulong.MaxValue, F = -1.5f, D = Math.PI, M = 1234567.891011m, N = -99,
            Text = "héllo wörld ✓ 𝄞", NullText = null, Color = Color.Blue,
            Inline = new Sample { X = 2.5, Y = 3, Color = Color.Green, Label = "inline", Ref = shared },
            Ints = ints,
            Matrix = new double[,] { { 1, 2, 3 }, { 4, 5, 6 } },
            Cube = new int[2, 3, 4],
            Jagged = [[1], [], [2, 3], null!],
            Samples = [new Sample { X = 1, Label = "a", Ref = shared }, new Sample { Y = -1 }],
            Nodes = [shared, null, shared.Left],
            IntList = [5, 6, 7],
            Strings = ["x", null, ""],
            NodeList = [shared, shared],
            Counts = new Dictionary<string, int> { ["one"] = 1, ["two"] = 2 },
            CountsIgnoreCase = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["Key"] = 3 },
            Buckets = new Dictionary<int, List<TreeNode>> { [1] = [shared], [2] = [] },
            ByNode = new Dictionary<TreeNode, string> { [shared] = "shared", [shared.Left!] = "left" },
            Boxed = shared,
            Mixed = [1, "two", 3.0, Color.Red, shared, null, ints],
            Segment = new ArraySegment<double>(backing, 10, 20),
            Window = backing.AsMemory(50, 5),
            ReadOnlyWindow = ints.AsMemory(1, 2),
            Backing = backing,
            Empty = default,
            InitOnly = 11,
            Settable = 12,
            Skipped = 99,
        };
    }

    [Fact]
    public void Every_supported_shape_round_trips()
    {
        Everything a = MakeEverything();
        a.Cube![1, 2, 3] = 17;
        Everything b = RoundTrip(a);
        Assert.Equal(a.Flag, b.Flag);
        Assert.Equal((a.B, a.SB, a.C, a.S, a.US, a.I, a.UI, a.L, a.UL), (b.B, b.SB, b.C, b.S, b.US, b.I, b.UI, b.L, b.UL));
        Assert.Equal((a.F, a.D, a.M, a.N), (b.F, b.D, b.M, b.N));
        Assert.Equal(a.Text, b.Text);
        Assert.Null(b.NullText);
        Assert.Equal(Color.Blue, b.Color);
        Assert.Equal((2.5, 3, Color.Green, "inline"), (b.Inline.X, b.Inline.Y, b.Inline.Color, b.Inline.Label));
        Assert.Equal(a.Ints, b.Ints);
        Assert.Equal(a.Matrix, b.Matrix);
        Assert.Equal(17, b.Cube![1, 2, 3]);
        Assert.Equal(new[] { 2, 3, 4 }, new[] { b.Cube.GetLength(0), b.Cube.GetLength(1), b.Cube.GetLength(2) });
        Assert.Equal(a.Jagged![2], b.Jagged![2]);
        Assert.Empty(b.Jagged[1]);
        Assert.Null(b.Jagged[3]);
        Assert.Equal("a", b.Samples![0].Label);
        Assert.Equal(-1, b.Samples[1].Y);
        Assert.Equal(a.IntList, b.IntList);
        Assert.Equal(a.Strings, b.Strings);
        Assert.Equal(2, b.Counts!["two"]);
        Assert.Equal(3, b.CountsIgnoreCase!["KEY"]);
        Assert.Empty(b.Buckets![2]);
        Assert.Equal(a.Mixed!.Take(4), b.Mixed!.Take(4));
        Assert.Null(b.Mixed![5]);
        Assert.Equal(a.Backing, b.Backing);
        Assert.True(b.Empty.IsEmpty);
        // Generated code restores readonly fields, init-only and get-only properties, and skips [NotMigrated].
        Assert.Equal(42, b.ReadOnlyField);
        Assert.Equal("get-only", b.GetOnly);
        Assert.Equal(11, b.InitOnly);
        Assert.Equal(12, b.Settable);
        Assert.Equal(0, b.Skipped);
    }

    [Fact]
    public void Shared_objects_are_restored_once_and_slices_point_into_the_restored_array()
    {
        Everything b = RoundTrip(MakeEverything());
        TreeNode shared = b.Inline.Ref!;
        Assert.Equal(7, shared.Value);
        Assert.Same(shared, b.Samples![0].Ref);
        Assert.Same(shared, b.Nodes![0]);
        Assert.Same(shared.Left, b.Nodes[2]);
        Assert.Same(shared, b.NodeList![0]);
        Assert.Same(shared, b.NodeList[1]);
        Assert.Same(shared, b.Buckets![1][0]);
        Assert.Same(shared, b.Boxed);
        Assert.Same(shared, b.Mixed![4]);
        Assert.Same(b.Ints, b.Mixed[6]);
        Assert.Equal("shared", b.ByNode![shared]);
        Assert.Equal("left", b.ByNode[shared.Left!]);
        // The dissertation's pointer = (block id, offset): a slice restores into the same restored array.
        Assert.Same(b.Backing, b.Segment.Array);
        Assert.Equal((10, 20), (b.Segment.Offset, b.Segment.Count));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<double>(b.Window, out var window));
        Assert.Same(b.Backing, window.Array);
        Assert.Equal((50, 5), (window.Offset, window.Count));
        b.Backing![51] = -1;
        Assert.Equal(-1, b.Window.Span[1]);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(b.ReadOnlyWindow, out var ro));
        Assert.Same(b.Ints, ro.Array);
        Assert.Equal(new[] { -2, int.MaxValue }, b.ReadOnlyWindow.ToArray());
    }

    [Fact]
    public void Cycles_end_and_nulls_round_trip()
    {
        var a = new Ring { Id = 1 };
        var b = new Ring { Id = 2, Next = a };
        var c = new Ring { Id = 3, Next = b };
        a.Next = c;
        a.Anything = a; // self-loop through an object field
        Ring r = RoundTrip(a);
        Assert.Equal(new[] { 1, 3, 2, 1 }, new[] { r.Id, r.Next!.Id, r.Next.Next!.Id, r.Next.Next.Next!.Id });
        Assert.Same(r, r.Next.Next.Next);
        Assert.Same(r, r.Anything);
        Assert.Null(RoundTrip<Ring?>(null));
        Assert.Null(RoundTrip(new Ring()).Next);
    }

    [Fact]
    public void A_linked_list_of_a_million_nodes_does_not_use_the_call_stack()
    {
        var head = new Ring { Id = 0 };
        Ring tail = head;
        for (int i = 1; i < 1_000_000; i++)
        {
            tail = tail.Next = new Ring { Id = i };
        }
        Ring r = RoundTrip(head);
        int count = 0;
        for (Ring? p = r; p is not null; p = p.Next)
        {
            Assert.Equal(count++, p.Id);
        }
        Assert.Equal(1_000_000, count);
    }

    [Fact]
    public void Functions_registered_by_hand_save_and_restore_without_the_generator()
    {
        var p1 = new Point(1, 2, null);
        var p2 = new Point(3, 4, p1);
        var list = new List<object> { p2, p1, new Money(1999, "EUR"), new[] { new Money(5, "USD") } };
        var r = RoundTrip(list);
        var q2 = (Point)r[0];
        Assert.Equal((3, 4), (q2.X, q2.Y));
        Assert.Same(r[1], q2.Previous);
        Assert.Equal((1999L, "EUR"), (((Money)r[2]).Cents, ((Money)r[2]).Currency));
        Assert.Equal("USD", ((Money[])r[3])[0].Currency);
    }

    [Fact]
    public void Large_primitive_arrays_travel_as_blocks_and_keep_every_bit()
    {
        var random = new Random(5);
        double[] big = new double[3_000_000];
        for (int i = 0; i < big.Length; i++)
        {
            big[i] = BitConverter.Int64BitsToDouble(random.NextInt64());
        }
        var types = Registries.All();
        var stream = new MemoryStream();
        StateSaveReport report = StateSerializer.Save(big, stream, types, new StateWriteOptions());
        Assert.InRange(report.Bytes, big.Length * 8L, big.Length * 8L + 4096);
        stream.Position = 0;
        double[] back = StateSerializer.Restore<double[]>(stream, types);
        Assert.True(big.AsSpan().SequenceEqual(back), "every double bit for bit");
    }

    [Theory]
    [InlineData(StateByteOrder.BigEndian)]
    [InlineData(StateByteOrder.LittleEndian)]
    public void A_stream_of_either_byte_order_reads_back_identical_values(StateByteOrder order)
    {
        var random = new Random(9);
        double[] doubles = new double[20_000]; // above the block threshold: converted as a block
        for (int i = 0; i < doubles.Length; i++)
        {
            doubles[i] = BitConverter.Int64BitsToDouble(random.NextInt64());
        }
        doubles[0] = BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF); // NaN with payload
        doubles[1] = -0.0;
        Everything a = MakeEverything();
        a.Backing = doubles;
        a.Segment = new ArraySegment<double>(doubles, 3, 4);
        var types = Registries.All();
        byte[] bytes = SaveBytes(a, types, new StateWriteOptions { ByteOrder = order, ChunkSize = 4096 });
        Assert.Equal(order == StateByteOrder.BigEndian ? 2 : 1, bytes[10]);
        Everything b = StateSerializer.Restore<Everything>(new MemoryStream(bytes), Registries.All(), null, out StateRestoreReport report);
        Assert.Equal(order, report.WriterByteOrder);
        Assert.Equal(doubles.Select(BitConverter.DoubleToInt64Bits), b.Backing!.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(BitConverter.DoubleToInt64Bits(a.D), BitConverter.DoubleToInt64Bits(b.D));
        Assert.Equal(BitConverter.SingleToInt32Bits(a.F), BitConverter.SingleToInt32Bits(b.F));
        Assert.Equal((a.C, a.S, a.US, a.I, a.UI, a.L, a.UL, a.M), (b.C, b.S, b.US, b.I, b.UI, b.L, b.UL, b.M));
        Assert.Equal(a.Ints, b.Ints);
        Assert.Equal(a.Matrix, b.Matrix);
        Assert.Equal(Color.Blue, b.Color);
        Assert.Equal(a.Text, b.Text);
        Assert.Same(b.Backing, b.Segment.Array);

        // The big-endian stream really holds the other byte order: find 0x7FF80000DEADBEEF in it.
        byte[] nan = BitConverter.GetBytes(0x7FF8_0000_DEAD_BEEFL);
        if (order == StateByteOrder.BigEndian)
        {
            Array.Reverse(nan);
        }
        Assert.True(bytes.AsSpan().IndexOf(nan) > 0);
    }

    [Fact]
    public void Unregistered_types_are_refused_when_saving_and_when_restoring()
    {
        var saveTypes = new StateTypeRegistry().Register<TreeNode>();
        Assert.Throws<NotSupportedException>(() => SaveBytes(new Ring(), saveTypes));
        byte[] bytes = SaveBytes(new List<TreeNode> { new() }, saveTypes);
        var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<List<TreeNode>>(new MemoryStream(bytes), new StateTypeRegistry()));
        Assert.Equal(StateProblem.UnregisteredType, e.Problem);
        Assert.Contains("Mitten.Tests.Checkpoint.TreeNode", e.Message);
        // Registering a type without state functions is refused.
        Assert.Throws<ArgumentException>(() => new StateTypeRegistry().Register<Point>());
        Assert.Throws<ArgumentException>(() => new StateTypeRegistry().Register<TreeNode>().Register<TreeNode>());
    }

    [Fact]
    public void A_changed_schema_or_another_root_type_is_named_as_a_mismatch()
    {
        byte[] bytes = SaveBytes(new AccountV1 { Owner = "a", Balance = 5 }, new StateTypeRegistry().Register<AccountV1>("Account"));
        var e = Assert.Throws<StateFormatException>(() =>
            StateSerializer.Restore<AccountV2>(new MemoryStream(bytes), new StateTypeRegistry().Register<AccountV2>("Account")));
        Assert.Equal(StateProblem.SchemaMismatch, e.Problem);
        Assert.Contains("Account", e.Message);
        Assert.Contains("Currency", e.Message);
        // Same fields under another class name restore fine.
        var same = StateSerializer.Restore<AccountV1>(new MemoryStream(bytes), new StateTypeRegistry().Register<AccountV1>("Account"));
        Assert.Equal(5, same.Balance);

        var types = Registries.All();
        byte[] tree = SaveBytes(new TreeNode(), types);
        e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Ring>(new MemoryStream(tree), types));
        Assert.Equal(StateProblem.SchemaMismatch, e.Problem);
        byte[] sample = SaveBytes(new Sample(), types);
        e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<int>(new MemoryStream(sample), types));
        Assert.Equal(StateProblem.SchemaMismatch, e.Problem);
    }

    /// <summary>Reads like a socket: not seekable, a few bytes at a time.</summary>
    private sealed class Trickle(byte[] data, int step) : Stream
    {
        private int position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, step), data.Length - position);
            Array.Copy(data, position, buffer, offset, n);
            position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static byte[] MediumStream(StateTypeRegistry types)
    {
        Everything a = MakeEverything();
        a.Backing = Enumerable.Range(0, 5000).Select(i => (double)i).ToArray(); // one block frame
        a.IntList = Enumerable.Range(0, 3000).ToList();                       // spans data frames
        return SaveBytes(a, types, new StateWriteOptions { ChunkSize = 4096 });
    }

    [Fact]
    public void Every_truncation_is_reported_as_truncated()
    {
        var types = Registries.All();
        byte[] bytes = MediumStream(types);
        Assert.True(bytes.Length > 40_000);
        for (int cut = 0; cut < bytes.Length; cut += cut < 200 ? 1 : 97)
        {
            var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Everything>(new Trickle(bytes[..cut], 1000), types));
            Assert.True(e.Problem == StateProblem.Truncated, $"cut at {cut}: {e.Problem} {e.Message}");
        }
        var last = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Everything>(new Trickle(bytes[..^1], 1000), types));
        Assert.Equal(StateProblem.Truncated, last.Problem);
        Assert.Contains("truncated", last.Message);
        // The whole stream read a few bytes at a time restores.
        Assert.Equal(2999, StateSerializer.Restore<Everything>(new Trickle(bytes, 7), types).IntList![2999]);
    }

    [Fact]
    public void Every_altered_byte_is_detected()
    {
        var types = Registries.All();
        byte[] bytes = MediumStream(types);
        int detected = 0;
        for (int i = 0; i < bytes.Length; i += i < 300 ? 1 : 61)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Everything>(new MemoryStream(bad), types));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            detected++;
        }
        Assert.True(detected > 900);
        byte[] wrongMagic = (byte[])bytes.Clone();
        wrongMagic[0] = (byte)'X';
        Assert.Equal(StateProblem.UnsupportedFormat,
            Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Everything>(new MemoryStream(wrongMagic), types)).Problem);
    }

    [Fact]
    public void Counts_are_checked_before_allocating()
    {
        var types = Registries.All();
        byte[] bytes = SaveBytes(new long[1_000_000], types);
        // Allocation budget.
        var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<long[]>(new MemoryStream(bytes), types,
            new StateReadOptions { MaxAllocationBytes = 1_000_000 }, out _));
        Assert.Equal(StateProblem.LimitExceeded, e.Problem);
        // A seekable stream too short for the announced array is refused before the array exists.
        e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<long[]>(new MemoryStream(bytes[..5000]), types));
        Assert.Equal(StateProblem.LimitExceeded, e.Problem);
        Assert.Contains("cannot fit", e.Message);
    }

    [Fact]
    public void A_stream_holds_exactly_one_state_so_several_can_follow_each_other()
    {
        var types = Registries.All();
        var stream = new MemoryStream();
        StateSerializer.Save(new TreeNode { Value = 1 }, stream, types);
        StateSerializer.Save("second", stream, types);
        StateSerializer.Save(new[] { 3.0 }, stream, types);
        stream.Position = 0;
        Assert.Equal(1, StateSerializer.Restore<TreeNode>(stream, types).Value);
        Assert.Equal("second", StateSerializer.Restore<string>(stream, types));
        Assert.Equal(3.0, StateSerializer.Restore<double[]>(stream, types)[0]);
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public async Task Restore_runs_while_the_stream_is_still_arriving_through_a_pipe()
    {
        var types = Registries.All();
        var state = new Dictionary<string, double[]>();
        for (int i = 0; i < 16; i++)
        {
            state["block" + i] = Enumerable.Range(0, 100_000).Select(j => (double)(i * j)).ToArray();
        }
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        StateSaveReport? saved = null;
        // 12.8 MB through a pipe that holds 64 KiB: the save can only finish if the restore consumes as it goes.
        var writer = Task.Run(() =>
        {
            saved = StateSerializer.Save(state, server, types, new StateWriteOptions { ChunkSize = 64 * 1024 });
            server.Dispose();
        });
        var restored = StateSerializer.Restore<Dictionary<string, double[]>>(client, types, null, out StateRestoreReport report);
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(16, restored.Count);
        Assert.Equal(15.0 * 99_999, restored["block15"][99_999]);
        Assert.Equal(saved!.Bytes, report.Bytes);
        Assert.True(saved.Chunks > 16);
        Assert.True(saved.CollectTime > TimeSpan.Zero && saved.TransferTime > TimeSpan.Zero);
        Assert.True(report.RestoreTime > TimeSpan.Zero && report.TransferTime > TimeSpan.Zero);
    }

    [Fact]
    public void A_cycle_back_into_a_hand_registered_object_is_refused_with_a_clear_message()
    {
        // Point's restore function builds it from its parts, so a Point that reaches itself cannot be rebuilt.
        var types = new StateTypeRegistry()
            .Register<Holder>((w, h) => { w.Write(h.Self); }, r => new Holder { Self = r.Read<Holder>() });
        var h = new Holder();
        h.Self = h;
        byte[] bytes = SaveBytes(h, types);
        var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Holder>(new MemoryStream(bytes), types));
        Assert.Contains("restore function", e.Message);
    }

    public sealed class Holder
    {
        public Holder? Self;
    }
}
