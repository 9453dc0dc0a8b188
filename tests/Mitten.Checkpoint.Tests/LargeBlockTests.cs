using Mitten.Checkpoint.State;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>
/// Blocks of several MiB, larger than the caches, with the smallest and the default chunk size:
/// bit for bit, a flipped bit, and a truncation found before allocating (seekable stream) or in
/// the middle of the block (a stream that cannot seek).
/// </summary>
public class LargeBlockTests
{
    private static byte[] Save<T>(T value, StateWriteOptions options, StateTypeRegistry types)
    {
        var stream = new MemoryStream();
        StateSerializer.Save(value, stream, types, options);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(256 * 1024)]
    public void A_block_of_several_megabytes_round_trips_bit_for_bit_with_any_chunk_size(int chunkSize)
    {
        var types = new StateTypeRegistry();
        var random = new Random(chunkSize);
        byte[] bytes = new byte[5 * 1024 * 1024 + 13];   // not a multiple of any vector size
        random.NextBytes(bytes);
        long[] longs = new long[600_001];                 // 4.8 MB
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(longs.AsSpan()));
        var options = new StateWriteOptions { ChunkSize = chunkSize };

        byte[] savedBytes = Save(bytes, options, types);
        Assert.Equal(bytes, StateSerializer.Restore<byte[]>(new MemoryStream(savedBytes), types));
        byte[] savedLongs = Save(longs, options, types);
        Assert.Equal(longs, StateSerializer.Restore<long[]>(new MemoryStream(savedLongs), types));
    }

    [Fact]
    public void A_flipped_bit_or_a_truncation_in_a_block_of_several_megabytes_is_reported()
    {
        var types = new StateTypeRegistry();
        var random = new Random(9);
        double[] values = new double[700_003];            // 5.6 MB
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextDouble();
        }
        byte[] saved = Save(values, new StateWriteOptions(), types);
        int blockEnd = saved.Length - 17 - 8;
        int blockStart = blockEnd - values.Length * 8;
        foreach (int at in new[] { blockStart, blockStart + 70_000, (blockStart + blockEnd) / 2, blockEnd - 1 })
        {
            byte[] bad = (byte[])saved.Clone();
            bad[at] ^= 0x10;
            var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<double[]>(new MemoryStream(bad), types));
            Assert.Equal(StateProblem.Corrupted, e.Problem);
        }
        // A seekable stream that is too short is refused before the array is allocated; one that
        // cannot seek (a socket, a pipe) is found truncated in the middle of the block.
        var limit = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<double[]>(new MemoryStream(saved, 0, blockStart + 3_000_001), types));
        Assert.Equal(StateProblem.LimitExceeded, limit.Problem);
        var t = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<double[]>(new Unseekable(new MemoryStream(saved, 0, blockStart + 3_000_001)), types));
        Assert.Equal(StateProblem.Truncated, t.Problem);
    }

    /// <summary>A stream that only reads forward, as a socket does.</summary>
    private sealed class Unseekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
