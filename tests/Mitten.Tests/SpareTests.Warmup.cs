using System.Text.RegularExpressions;
using Mitten.Checkpoint.State;
using Mitten.Protocol;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The codec warm-up (Protocol/CodecWarmup.cs): a codec of <see cref="MigratableCodec"/> saves and
/// restores a stand-in of its state type at start-up, so that neither the moving rank's capture
/// nor the spare's restore is compiled while the group is frozen. The stand-in is never the
/// application's state, and the codec's after-restore step (the application's) is not run on it.
/// </summary>
public partial class SpareTests
{
    [Fact]
    public void The_codec_warm_up_round_trips_a_stand_in_of_every_field_type_without_the_after_restore_step()
    {
        var types = new StateTypeRegistry().Register<WarmupRoot>().Register<WarmupLeaf>();
        int afterRestoreCalls = 0;
        IStateCodec<WarmupRoot> codec = MigratableCodec.For<WarmupRoot>(types, _ => afterRestoreCalls++);
        var warmable = Assert.IsAssignableFrom<IWarmableStateCodec>(codec);
        long bytes = warmable.Warm();
        // Every primitive array went through the serializer's block path (16 KiB and more each).
        Assert.True(bytes > 4 * 16 * 1024, $"the stand-in's stream has {bytes} bytes");
        Assert.Equal(0, afterRestoreCalls);

        // The codec itself is unchanged by it: a real state round-trips, with its after-restore step.
        var state = new WarmupRoot { Counts = [1, 2, 3], Name = "state", Leaf = new WarmupLeaf { Values = [0.5] } };
        var stream = new MemoryStream();
        codec.Save(state, stream);
        stream.Position = 0;
        WarmupRoot restored = codec.Restore(stream);
        Assert.Equal([1, 2, 3], restored.Counts);
        Assert.Equal("state", restored.Name);
        Assert.Equal([0.5], restored.Leaf!.Values);
        Assert.Equal(1, afterRestoreCalls);
    }

    [Fact]
    public void A_codec_of_delegates_is_not_run_by_the_warm_up()
    {
        // Only a codec that can make a stand-in is exercised; the application's own delegates
        // would get its real state, which the warm-up never touches.
        IStateCodec<WarmupRoot> codec = StateCodec.FromDelegates<WarmupRoot>(
            (_, _) => throw new InvalidOperationException("save ran"),
            _ => throw new InvalidOperationException("restore ran"));
        Assert.False(codec is IWarmableStateCodec);
        ProtocolWarmup.WarmCodec(codec); // prepares its methods only; throws nothing
    }

    [Fact]
    public void Every_rank_and_the_spare_warm_the_codec_at_start_and_the_migration_still_verifies()
    {
        // NAS IS (a [Migratable] state through MigratableCodec) on 4 ranks with a spare, rank 1
        // moving at iteration 3: every original rank and the spare report a warmed codec, the
        // migration takes the spare, and IS verifies its keys.
        string program = MpiJob.Benchmark("IS");
        var job = MpiJob.Run(4, program, ["--class", "S", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_SPARES"] = "1", ["MITTEN_STARTUP_REPORT"] = "1" });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        Assert.Contains("spare_taken_ms=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Equal(4, Regex.Matches(job.Stderr, @"mitten-startup rank=\d .*codec=warmed:\d+B").Count);
        Assert.Matches(@"mitten-startup spare pid=\d+ .*codec=warmed:\d+B", job.Stderr);
    }
}

/// <summary>A state type with a field of each kind the stand-in fills (test of the codec warm-up).</summary>
[Migratable]
public sealed partial class WarmupRoot
{
    public int[] Counts = [];
    public long[] Totals = [];
    public double[] Values = [];
    public byte[] Raw = [];
    public string Name = "";
    public List<int> Items = [];
    public WarmupLeaf? Leaf;
    public WarmupRoot? Self;
    public int Step;
}

/// <summary>A nested state object (test of the codec warm-up).</summary>
[Migratable]
public sealed partial class WarmupLeaf
{
    public double[] Values = [];
}
