using System.Runtime.InteropServices;
using Mitten.Checkpoint.State;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>
/// Large blocks saved into or restored from a <see cref="MemoryStream"/> go through its buffer
/// directly (copied and checksummed in one pass, the largest with cache-bypassing stores). These
/// tests check that this path writes exactly the bytes the ordinary path writes through
/// <see cref="Stream.Write(ReadOnlySpan{byte})"/>, at every alignment and in every state a memory
/// stream can be in, and that it reads back, rejects damage and leaves the stream where it should.
/// </summary>
public class MemoryStreamBlockTests
{
    private static StateTypeRegistry Types() => new StateTypeRegistry().Register<Arrays>();

    /// <summary>Blocks just above the block threshold, below and above the cache-bypass size, with odd lengths.</summary>
    private static Arrays Sample()
    {
        var random = new Random(21);
        var a = new Arrays
        {
            Doubles = new double[(4 << 20) / 8 + 3],     // 4 MiB + 24 bytes
            Floats = new float[300_001],                 // 1.2 MB
            Longs = new long[2_049],                     // 16 KiB + 8 bytes
            Shorts = new short[70_001],
            Bytes = new byte[5_000_003],                 // not a multiple of 32
        };
        random.NextBytes(MemoryMarshal.AsBytes(a.Doubles.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(a.Floats.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(a.Longs.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(a.Shorts.AsSpan()));
        random.NextBytes(a.Bytes);
        a.AlsoDoubles = a.Doubles;
        return a;
    }

    private static readonly Arrays Original = Sample();

    /// <summary>The stream written through Stream.Write only (a stream that is not a MemoryStream).</summary>
    private static byte[] Reference(StateByteOrder order = StateByteOrder.Native)
    {
        var inner = new MemoryStream();
        StateSerializer.Save(Original, new PassThroughStream(inner), Types(), new StateWriteOptions { ByteOrder = order });
        return inner.ToArray();
    }

    private static void AssertSame(Arrays a, Arrays b)
    {
        Assert.True(MemoryMarshal.AsBytes(a.Doubles.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Doubles.AsSpan())), "doubles bit for bit");
        Assert.True(MemoryMarshal.AsBytes(a.Floats.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Floats.AsSpan())), "floats bit for bit");
        Assert.Equal(a.Longs, b.Longs);
        Assert.Equal(a.Shorts, b.Shorts);
        Assert.True(a.Bytes.AsSpan().SequenceEqual(b.Bytes), "bytes");
        Assert.Same(b.Doubles, b.AlsoDoubles);
    }

    [Fact]
    public void A_memory_stream_of_any_capacity_and_alignment_receives_exactly_the_bytes_of_the_ordinary_path()
    {
        byte[] reference = Reference();

        // Grown by the stream itself: some blocks find room, others go through Write.
        var growing = new MemoryStream();
        StateSerializer.Save(Original, growing, Types());
        Assert.True(reference.AsSpan().SequenceEqual(growing.ToArray()), "growing stream");

        // Room for everything, after a prefix of every length modulo 64 (so every destination alignment).
        for (int prefix = 0; prefix < 64; prefix += prefix < 8 ? 1 : 5)
        {
            var roomy = new MemoryStream(reference.Length + 64);
            roomy.Write(Enumerable.Repeat((byte)0xAB, prefix).ToArray());
            StateSerializer.Save(Original, roomy, Types());
            byte[] all = roomy.ToArray();
            Assert.Equal(prefix + reference.Length, all.Length);
            Assert.True(all.AsSpan(0, prefix).IndexOfAnyExcept((byte)0xAB) < 0, $"prefix {prefix} kept");
            Assert.True(reference.AsSpan().SequenceEqual(all.AsSpan(prefix)), $"after a prefix of {prefix} bytes");
            Assert.Equal(all.Length, roomy.Position);
        }

        // Overwriting earlier contents: the stream keeps its longer length and the bytes after ours.
        var reused = new MemoryStream();
        reused.Write(Enumerable.Repeat((byte)0xCD, reference.Length + 100).ToArray());
        reused.Position = 0;
        StateSerializer.Save(Original, reused, Types());
        Assert.Equal(reference.Length, reused.Position);
        Assert.Equal(reference.Length + 100, reused.Length);
        byte[] over = reused.ToArray();
        Assert.True(reference.AsSpan().SequenceEqual(over.AsSpan(0, reference.Length)), "overwritten stream");
        Assert.True(over.AsSpan(reference.Length).IndexOfAnyExcept((byte)0xCD) < 0, "bytes after the state kept");

        // A position past the end: the gap reads as zeros, as MemoryStream.Write defines it.
        var gap = new MemoryStream(reference.Length + 64);
        gap.Write([1, 2, 3, 4, 5]);
        gap.Position = 40;
        StateSerializer.Save(Original, gap, Types());
        byte[] gapped = gap.ToArray();
        Assert.True(gapped.AsSpan(5, 35).IndexOfAnyExcept((byte)0) < 0, "gap zero-filled");
        Assert.True(reference.AsSpan().SequenceEqual(gapped.AsSpan(40)), "after a gap");

        // A fixed buffer that fits exactly, starting at an odd index, with the buffer exposed or not.
        foreach (bool visible in new[] { true, false })
        {
            byte[] fixedBuffer = new byte[reference.Length + 3];
            var exact = new MemoryStream(fixedBuffer, 3, reference.Length, writable: true, publiclyVisible: visible);
            StateSerializer.Save(Original, exact, Types());
            Assert.True(reference.AsSpan().SequenceEqual(fixedBuffer.AsSpan(3)), $"fixed buffer, visible {visible}");
        }

        // A fixed buffer one byte too short fails as a memory stream does, not by writing past its end.
        byte[] shortBuffer = new byte[reference.Length + 16];
        var tooShort = new MemoryStream(shortBuffer, 0, reference.Length - 1, writable: true, publiclyVisible: true);
        Assert.Throws<NotSupportedException>(() => StateSerializer.Save(Original, tooShort, Types()));
        Assert.True(shortBuffer.AsSpan(reference.Length - 1).IndexOfAnyExcept((byte)0) < 0, "nothing written past the stream's end");

        // The opposite byte order takes the ordinary (swapping) path into a memory stream too.
        StateByteOrder opposite = BitConverter.IsLittleEndian ? StateByteOrder.BigEndian : StateByteOrder.LittleEndian;
        var swapped = new MemoryStream(reference.Length + 64);
        StateSerializer.Save(Original, swapped, Types(), new StateWriteOptions { ByteOrder = opposite });
        Assert.True(Reference(opposite).AsSpan().SequenceEqual(swapped.ToArray()), "opposite byte order");
        swapped.Position = 0;
        AssertSame(Original, StateSerializer.Restore<Arrays>(swapped, Types()));
    }

    [Fact]
    public void A_memory_stream_at_any_alignment_restores_bit_exact_and_is_left_right_after_the_state()
    {
        byte[] reference = Reference();
        for (int prefix = 0; prefix < 64; prefix += prefix < 8 ? 1 : 5)
        {
            byte[] buffer = new byte[prefix + reference.Length + 5];
            reference.CopyTo(buffer, prefix);
            foreach (bool visible in new[] { true, false })
            {
                var stream = new MemoryStream(buffer, 0, buffer.Length, writable: false, publiclyVisible: visible) { Position = prefix };
                AssertSame(Original, StateSerializer.Restore<Arrays>(stream, Types()));
                Assert.Equal(prefix + reference.Length, stream.Position);
            }
        }
        AssertSame(Original, StateSerializer.Restore<Arrays>(new PassThroughStream(new MemoryStream(reference)), Types()));

        // Two states back to back in one stream.
        var both = new MemoryStream();
        StateSerializer.Save(Original, both, Types());
        StateSerializer.Save(Original, both, Types());
        both.Position = 0;
        AssertSame(Original, StateSerializer.Restore<Arrays>(both, Types()));
        AssertSame(Original, StateSerializer.Restore<Arrays>(both, Types()));
        Assert.Equal(both.Length, both.Position);
    }

    [Fact]
    public void A_memory_stream_cut_inside_a_block_or_damaged_in_one_is_rejected()
    {
        byte[] reference = Reference();
        // The 4 MiB block of doubles is the first block frame: find it by its first 16 bytes.
        int blockStart = reference.AsSpan().IndexOf(MemoryMarshal.AsBytes(Original.Doubles.AsSpan(0, 2)));
        Assert.True(blockStart > 0);
        int blockLength = Original.Doubles!.Length * 8;

        foreach (int cut in new[] { blockStart, blockStart + 1, blockStart + blockLength / 2, blockStart + blockLength - 1, blockStart + blockLength + 4 })
        {
            var stream = new MemoryStream(reference, 0, cut, writable: false, publiclyVisible: true);
            var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Arrays>(stream, Types()));
            // A seekable stream too short for the array is refused before its block is read.
            Assert.Contains(e.Problem, new[] { StateProblem.Truncated, StateProblem.LimitExceeded });
        }

        var random = new Random(5);
        var positions = new List<int> { blockStart, blockStart + 31, blockStart + 32, blockStart + blockLength - 1 };
        for (int i = 0; i < 20; i++)
        {
            positions.Add(random.Next(blockStart, blockStart + blockLength));
        }
        foreach (int at in positions)
        {
            byte[] bad = (byte[])reference.Clone();
            bad[at] ^= (byte)(1 << random.Next(8));
            var stream = new MemoryStream(bad, 0, bad.Length, writable: false, publiclyVisible: true);
            var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Arrays>(stream, Types()));
            Assert.Equal(StateProblem.Corrupted, e.Problem);
            Assert.Contains("block frame", e.Message);
        }
    }

    /// <summary>A stream that is not a MemoryStream (like a socket): the serializer can only call Read and Write.</summary>
    private sealed class PassThroughStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 100_000));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
