using System.Text.RegularExpressions;
using Mitten.Protocol.Spares;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The receiving process's heap on transparent huge pages (Protocol/Spares/HeapHugePages.cs):
/// the restore writes into arrays allocated just then, and with the heap marked MADV_HUGEPAGE
/// their first touch takes one fault per 2 MiB instead of one per 4 KiB.
/// </summary>
public partial class SpareTests
{
    [Fact]
    public void Marking_the_heap_makes_a_fresh_large_array_fault_in_huge_pages()
    {
        if (!HeapHugePages.Enabled)
        {
            throw Xunit.Sdk.SkipException.ForSkip("transparent huge pages are off on this machine (or MITTEN_HUGEPAGES=0)");
        }
        long marked = HeapHugePages.Advise();
        Assert.True(marked > 0, $"madvise over the heap returned {marked}");
        const int Bytes = 16 << 20;
        long before = HeapHugePages.MinorFaults();
        byte[] fresh = GC.AllocateUninitializedArray<byte>(Bytes);
        for (int i = 0; i < fresh.Length; i += 4096)
        {
            fresh[i] = 1;
        }
        long faults = HeapHugePages.MinorFaults() - before;
        GC.KeepAlive(fresh);
        // 4096 faults with 4 KiB pages; at least the 2 MiB blocks wholly inside the committed
        // range come as one fault each (the runtime's commits at the ends may stay small pages).
        Assert.True(faults < Bytes / 4096 / 2, $"{faults} minor faults for a fresh {Bytes >> 20} MiB array");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void A_spare_marks_its_heap_before_the_state_arrives_unless_turned_off(string hugePages)
    {
        // NAS IS on 4 ranks with a spare, rank 1 moving at iteration 3: the replacement's trace
        // says how much of its heap was marked when the state came (none with MITTEN_HUGEPAGES=0),
        // and IS verifies its keys either way.
        var job = IsMovingRank1ToASpare(4, "S", "MITTEN_HUGEPAGES", hugePages);
        Match restored = Regex.Match(job.Stderr, @"replacement: state restored \(\d+ bytes, -?\d+ minor faults; heap huge pages: (-?\d+) bytes marked");
        Assert.True(restored.Success, job.Describe());
        long marked = long.Parse(restored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (hugePages == "0" || !HeapHugePages.Enabled)
        {
            Assert.Equal(0, marked);
        }
        else
        {
            Assert.True(marked > 0, $"the spare marked {marked} bytes of its heap");
        }
    }

    /// <summary>
    /// NAS IS of <paramref name="className"/> on <paramref name="ranks"/> ranks with one spare and
    /// MITTEN_TRACE, rank 1 moving at iteration 3, with <paramref name="setting"/> set to
    /// <paramref name="value"/>: asserts that IS verified its keys and that the migration took the spare.
    /// </summary>
    private static MpiJob IsMovingRank1ToASpare(int ranks, string className, string setting, string value)
    {
        string program = MpiJob.Benchmark("IS");
        var job = MpiJob.Run(ranks, program, ["--class", className, "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_SPARES"] = "1", ["MITTEN_TRACE"] = "1", [setting] = value });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        Assert.Contains("spare_taken_ms=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        return job;
    }
}
