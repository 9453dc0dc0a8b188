using System.Text.RegularExpressions;
using Mitten.Protocol.Spares;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Working arrays an application allocates while its state is restored (RestoredArrays.cs):
/// zeroed as <c>new T[]</c>, and on a spare backed by the memory it prepared while idle. In the
/// SpareTests collection, since the prepared memory is one per process.
/// </summary>
public partial class SpareTests
{
    [Fact]
    public void Restored_arrays_are_zero_and_take_prepared_memory_while_it_lasts()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Xunit.Sdk.SkipException.ForSkip("prepared receiving memory is Linux only (mremap)");
        }
        try
        {
            // Dirty heap memory first, so that an uninitialized array has something to clear.
            DirtyTheHeap();
            Assert.Equal(16L << 20, ReceiveMemory.Prepare(16L << 20));
            // 4 MiB + 12 bytes: placed whole but for its partial end pages, which are cleared.
            int[] first = RestoredArrays.Allocate<int>((1 << 20) + 3);
            long placedFirst = ReceiveMemory.PlacedBytes;
            Assert.True(placedFirst >= (4L << 20) - 8192, $"placed {placedFirst} bytes for a 4 MiB array");
            // 5 MiB: still fits.
            long[] second = RestoredArrays.Allocate<long>(5 << 17);
            long placedSecond = ReceiveMemory.PlacedBytes;
            Assert.True(placedSecond - placedFirst >= (5L << 20) - 8192, $"placed {placedSecond - placedFirst} bytes for a 5 MiB array");
            // 1 MiB, which can hold no whole 2 MiB page: placed too, in 4 KiB pages (clearing
            // fresh pages instead would pay their first touches).
            byte[] small = RestoredArrays.Allocate<byte>((1 << 20) + 5);
            long placedSmall = ReceiveMemory.PlacedBytes;
            Assert.True(placedSmall - placedSecond >= (1L << 20) - 8192, $"placed {placedSmall - placedSecond} bytes for a 1 MiB array");
            // 12 MiB, more than the 6 MiB left: an ordinary array, nothing placed.
            double[] third = RestoredArrays.Allocate<double>(3 << 19);
            Assert.Equal(placedSmall, ReceiveMemory.PlacedBytes);
            Assert.True(small.AsSpan().IndexOfAnyExcept((byte)0) < 0, "the 1 MiB array is not all zero");
            Assert.Equal((1 << 20) + 3, first.Length);
            Assert.Equal(5 << 17, second.Length);
            Assert.Equal(3 << 19, third.Length);
            Assert.True(first.AsSpan().IndexOfAnyExcept(0) < 0, "the first array is not all zero");
            Assert.True(second.AsSpan().IndexOfAnyExcept(0L) < 0, "the second array is not all zero");
            Assert.True(third.AsSpan().IndexOfAnyExcept(0.0) < 0, "the third array is not all zero");

            // The arrays keep what is written into them when the rest is given back and the heap is compacted.
            first.AsSpan().Fill(17);
            second.AsSpan().Fill(-5);
            small.AsSpan().Fill(9);
            ReceiveMemory.Release();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            Assert.True(first.AsSpan().IndexOfAnyExcept(17) < 0, "the first array lost what was written");
            Assert.True(second.AsSpan().IndexOfAnyExcept(-5L) < 0, "the second array lost what was written");
            Assert.True(small.AsSpan().IndexOfAnyExcept((byte)9) < 0, "the 1 MiB array lost what was written");
        }
        finally
        {
            ReceiveMemory.Release();
        }
    }

    [Fact]
    public unsafe void Giving_back_unused_prepared_memory_leaves_what_was_mapped_into_placed_holes_alone()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Xunit.Sdk.SkipException.ForSkip("prepared receiving memory is Linux only (mremap)");
        }
        try
        {
            Assert.Equal(8L << 20, ReceiveMemory.Prepare(8L << 20));
            (long front, _) = ReceiveMemory.UnplacedRange;
            // A 4 MiB array takes the front of the prepared memory (its aligned middle) and
            // leaves a hole there; something else of the process may be mapped into it next.
            int[] array = RestoredArrays.Allocate<int>(1 << 20);
            Assert.True(ReceiveMemory.UnplacedRange.Front > front, "nothing was placed from the front");
            const int MapFixedNoReplace = 0x100000;
            nint other = Mmap((nint)front, 4096, 3, 0x22 | MapFixedNoReplace, -1, 0);
            Assert.Equal((nint)front, other);
            *(long*)other = 42;
            ReceiveMemory.Release();
            // Still mapped (reading an unmapped page would end this process, so ask the kernel).
            byte resident;
            Assert.True(Mincore(other, 4096, &resident) == 0, "giving back the prepared memory unmapped a mapping it did not own");
            Assert.Equal(42, *(long*)other);
            Assert.Equal(0, Munmap(other, 4096));
            GC.KeepAlive(array);
        }
        finally
        {
            ReceiveMemory.Release();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mmap")]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "munmap")]
    private static extern int Munmap(nint address, nuint length);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mincore")]
    private static extern unsafe int Mincore(nint address, nuint length, byte* vector);

    [Fact]
    public void Without_prepared_memory_or_for_small_arrays_restored_arrays_are_ordinary()
    {
        ReceiveMemory.Release();
        DirtyTheHeap();
        long placedBefore = ReceiveMemory.PlacedBytes; // kept from an earlier preparation until the next one
        int[] large = RestoredArrays.Allocate<int>((1 << 20) + 1);
        Assert.Equal(placedBefore, ReceiveMemory.PlacedBytes);
        Assert.True(large.AsSpan().IndexOfAnyExcept(0) < 0);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal(8L << 20, ReceiveMemory.Prepare(8L << 20));
            }
            byte[] small = RestoredArrays.Allocate<byte>(1000);
            Assert.Equal(1000, small.Length);
            Assert.True(small.AsSpan().IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(0, ReceiveMemory.PlacedBytes);
            Assert.Empty(RestoredArrays.Allocate<double>(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => RestoredArrays.Allocate<int>(-1));
        }
        finally
        {
            ReceiveMemory.Release();
        }
    }

    [Fact]
    public void A_spare_backs_the_working_arrays_IS_allocates_while_restoring_with_its_prepared_memory()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Xunit.Sdk.SkipException.ForSkip("prepared receiving memory is Linux only (mremap)");
        }
        // NAS IS class A on 4 ranks with a spare (64 MiB prepared), rank 1 moving at iteration 3:
        // its saved keys are 8 MiB; its working arrays (made anew by AllocateWorkingArrays after
        // the restore, 256 KiB or more each) come from the prepared memory too, so more is
        // placed than the whole state holds. IS verifies its keys, the spare leaves no
        // complaint, the replacement's resume was built on a protocol object compiled while idle,
        // and no garbage collection ran during the restore.
        var job = IsMovingRank1ToASpare(4, "A", "MITTEN_RECEIVE_MEMORY_MIB", "64");
        Match restored = Regex.Match(job.Stderr, @"replacement: state restored \((\d+) bytes, .*prepared memory placed: (\d+) bytes\)");
        Assert.True(restored.Success, job.Describe());
        long stateBytes = long.Parse(restored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        long placed = long.Parse(restored.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(placed > stateBytes + (4L << 20),
            $"placed {placed} bytes for a state of {stateBytes} bytes: the working arrays did not take prepared memory\n{job.Describe()}");
        Assert.Matches(@"replacement: resume: protocol object [\d.]+ ms", job.Stderr);
        Assert.DoesNotContain("leaves:", job.Stderr);
        // The heap the spare set aside while idle (Spares/RestoreHeapBudget.cs) took the restore's
        // allocations: no garbage collection ran while the group was frozen for it.
        Match collections = Regex.Match(job.Stderr, @"replacement: state restored .*\): (\d+) garbage collections \((\d+) full\)");
        Assert.True(collections.Success, job.Describe());
        Assert.True(collections.Groups[1].Value == "0",
            $"{collections.Groups[1].Value} garbage collections ({collections.Groups[2].Value} full) ran during the spare's restore\n{job.Describe()}");
    }

    /// <summary>Leaves some MiB of written, dead large objects in the heap.</summary>
    private static void DirtyTheHeap()
    {
        for (int i = 0; i < 4; i++)
        {
            byte[] garbage = new byte[3 << 20];
            garbage.AsSpan().Fill(0xA5);
            GC.KeepAlive(garbage);
        }
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}
