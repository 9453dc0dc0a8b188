using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>
/// Coordinated checkpoint/restart with real mpiexec jobs of the CheckpointDriver (a ring
/// computation on 3 ranks): killed after a checkpoint, restarted, and compared bit for bit
/// with an uninterrupted run.
/// </summary>
public sealed class CoordinatedTests : IDisposable
{
    private const int Ranks = 3;
    private static readonly Lazy<string> Uninterrupted = new(() =>
    {
        string dir = NewDirectory();
        try
        {
            var job = Run(dir);
            JobAssert.Succeeded(job, Ranks);
            return Result(job);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    });

    private readonly List<string> directories = [];

    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "mitten-checkpoint-" + Guid.NewGuid().ToString("N"));

    private string Dir()
    {
        string d = NewDirectory();
        directories.Add(d);
        return d;
    }

    public void Dispose()
    {
        foreach (string d in directories.Where(Directory.Exists))
        {
            Directory.Delete(d, true);
        }
    }

    private static MpiJob Run(string dir, params string[] extra) =>
        MpiJob.Run(Ranks, MpiJob.Driver("CheckpointDriver"), ["--dir", dir, "--iterations", "40", "--every", "5", .. extra], TimeSpan.FromSeconds(60));

    private static string Result(MpiJob job)
    {
        var results = job.LinesStartingWith("RESULT ").ToList();
        Assert.True(results.Count == 1, "expected one RESULT line\n" + job.Describe());
        return results[0];
    }

    private static MpiJob Killed(string dir, int keep)
    {
        var job = Run(dir, "--keep", keep.ToString(), "--die-at", "23", "--die-rank", "1");
        Assert.False(job.TimedOut, job.Describe());
        Assert.True(job.ExitCode != 0, "the killed job should fail\n" + job.Describe());
        Assert.Empty(job.LinesStartingWith("RESULT "));
        Assert.Equal(Ranks, job.LinesStartingWith("CHECKPOINT ").Count(l => l.EndsWith("epoch=4 iteration=20", StringComparison.Ordinal)));
        return job;
    }

    [Fact]
    public void A_killed_job_restarts_from_its_newest_epoch_and_ends_like_an_uninterrupted_run()
    {
        string dir = Dir();
        Killed(dir, keep: 2);
        // Only the newest two epochs are kept.
        Assert.Equal(new[] { "3", "4" }, Directory.GetDirectories(dir).Select(d => Path.GetFileName(d)!).Order().ToArray());
        Assert.True(File.Exists(Path.Combine(dir, "4", "manifest")));

        var restart = Run(dir, "--restart");
        JobAssert.Succeeded(restart, 3 * Ranks);
        JobAssert.OkOnRanks(restart, "communication-state", Ranks);
        JobAssert.OkOnRanks(restart, "restored-shape", Ranks);
        Assert.Equal(Ranks, restart.LinesStartingWith("RESTORED ").Count(l => l.Contains("epoch=4 iteration=20 diagnostics=0")));
        Assert.DoesNotContain("falling back", restart.Stderr);
        Assert.Equal(Uninterrupted.Value, Result(restart));
    }

    [Fact]
    public void An_incomplete_or_corrupt_newest_epoch_falls_back_to_an_older_one_and_says_so()
    {
        string dir = Dir();
        Killed(dir, keep: 3);
        // Epoch 4 loses its manifest (as if the job died before committing it); epoch 3 has a damaged rank file.
        File.Delete(Path.Combine(dir, "4", "manifest"));
        string damaged = Path.Combine(dir, "3", "rank-1.state");
        byte[] bytes = File.ReadAllBytes(damaged);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(damaged, bytes);

        var restart = Run(dir, "--restart");
        JobAssert.Succeeded(restart, 3 * Ranks);
        Assert.Equal(Ranks, restart.LinesStartingWith("RESTORED ").Count(l => l.Contains("epoch=2 iteration=10 diagnostics=3")));
        Assert.Contains("epoch 4 is unusable (it is incomplete (no manifest))", restart.Stderr);
        Assert.Contains("rank 1: checkpoint epoch 3 is unusable (checksum mismatch", restart.Stderr);
        Assert.Contains("restored the older epoch 2 instead", restart.Stderr);
        Assert.Equal(Uninterrupted.Value, Result(restart));
    }
}
