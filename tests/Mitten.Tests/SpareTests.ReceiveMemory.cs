using System.Text.RegularExpressions;
using Mitten.Checkpoint.State;
using Mitten.Protocol.Spares;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Memory a spare prepares for the state (Protocol/Spares/ReceiveMemory.cs): written once while
/// idle, moved (mremap) into the arrays the restore is about to fill, the rest given back.
/// </summary>
public partial class SpareTests
{
    /// <summary>A stream that is not a MemoryStream (so the reader takes the ordinary path) and places prepared memory, as the state receiver does.</summary>
    private sealed class PlacingStream(byte[] bytes) : MemoryStream(bytes, writable: false), IPreparesReadDestination
    {
        internal long Placed { get; private set; }

        public void PrepareDestination(Span<byte> destination) => Placed += ReceiveMemory.Place(destination);
    }

    private static double[] EveryBitPattern(int length, int seed)
    {
        var random = new Random(seed);
        var values = new double[length];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    [Fact]
    public void Arrays_restored_into_prepared_memory_are_bit_identical_also_beyond_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Xunit.Sdk.SkipException.ForSkip("prepared receiving memory is Linux only (mremap)");
        }
        var codec = MigratableCodec.For<double[][]>(new StateTypeRegistry());
        // 8 MiB prepared; the state: 5 MiB + 1 double (placed whole: it holds a whole 2 MiB page
        // wherever it lies), 7 MiB + 3 doubles (more than is left: placed in part, the rest read
        // into the runtime's own pages), a small array (not a block), a 1 MiB array (no whole
        // 2 MiB page: never placed).
        double[][] state = [EveryBitPattern((5 << 17) + 1, 1), EveryBitPattern((7 << 17) + 3, 2), EveryBitPattern(100, 3), EveryBitPattern(1 << 17, 4)];
        var saved = new MemoryStream();
        codec.Save(state, saved);
        try
        {
            long prepared = ReceiveMemory.Prepare(8L << 20);
            Assert.Equal(8L << 20, prepared);
            var source = new PlacingStream(saved.ToArray());
            double[][] restored = codec.Restore(source);
            Assert.True(source.Placed > 5L << 20, $"placed {source.Placed} bytes of 8 MiB");
            Assert.True(source.Placed <= 8L << 20, $"placed {source.Placed} bytes of 8 MiB");
            Assert.Equal(source.Placed, ReceiveMemory.PlacedBytes);
            Assert.True(ReceiveMemory.AvailableBytes < 4096, $"{ReceiveMemory.AvailableBytes} bytes left unplaced");
            // A full compacting collection moves and checks the heap around the placed pages.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            for (int i = 0; i < state.Length; i++)
            {
                Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(state[i].AsSpan())
                    .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(restored[i].AsSpan())), $"array {i} differs");
            }
            // The arrays' memory stays usable: written over and collected again.
            restored[1].AsSpan().Fill(1.5);
            restored = null!;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            byte[] after = GC.AllocateUninitializedArray<byte>(12 << 20);
            after.AsSpan().Fill(7);
            Assert.All(after.AsSpan(0, 4096).ToArray(), b => Assert.Equal(7, b));
        }
        finally
        {
            ReceiveMemory.Release();
        }
        Assert.Equal(0, ReceiveMemory.AvailableBytes);
    }

    [Fact]
    public void Without_prepared_memory_the_restore_uses_its_own_pages()
    {
        ReceiveMemory.Release();
        var codec = MigratableCodec.For<double[]>(new StateTypeRegistry());
        double[] state = EveryBitPattern((5 << 17) + 7, 4);
        var saved = new MemoryStream();
        codec.Save(state, saved);
        var source = new PlacingStream(saved.ToArray());
        double[] restored = codec.Restore(source);
        Assert.Equal(0, source.Placed);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(state.AsSpan())
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(restored.AsSpan())));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void A_spare_restores_a_state_larger_than_its_prepared_memory_or_without_any(string mib)
    {
        // NAS IS class W on 2 ranks with a spare, rank 1 moving at iteration 3: its state (MigratableCodec,
        // arrays of some MiB) is more than 1 MiB of prepared memory; the replacement's trace says how much
        // of it went into the state (none with 0), and IS verifies its keys either way.
        var job = IsMovingRank1ToASpare(2, "A", "MITTEN_RECEIVE_MEMORY_MIB", mib); // class A: arrays of 16 MiB (arrays without a whole 2 MiB page are never placed)
        Match restored = Regex.Match(job.Stderr, @"replacement: state restored \((\d+) bytes, .*prepared memory placed: (\d+) bytes\)");
        Assert.True(restored.Success, job.Describe());
        long stateBytes = long.Parse(restored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        long placed = long.Parse(restored.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(stateBytes > 1L << 20, $"the state is {stateBytes} bytes: not more than the prepared memory\n{job.Describe()}");
        if (mib == "0")
        {
            Assert.Equal(0, placed);
        }
        else
        {
            Assert.True(placed is > 0 and <= 1L << 20, $"placed {placed} bytes of 1 MiB\n{job.Describe()}");
        }
    }
}
