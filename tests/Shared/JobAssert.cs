using Xunit;

namespace Mitten.Tests.Support;

/// <summary>Assertions over a finished MPI job.</summary>
public static class JobAssert
{
    /// <summary>The job exited 0, printed nothing on stderr, and every CHECK line is ok.</summary>
    public static void Clean(MpiJob job, int minimumChecks)
    {
        Succeeded(job, minimumChecks);
        Assert.True(job.Stderr.Trim().Length == 0, "stderr should be empty\n" + job.Describe());
    }

    /// <summary>The job exited 0 and every CHECK line is ok (at least <paramref name="minimumChecks"/> of them).</summary>
    public static void Succeeded(MpiJob job, int minimumChecks)
    {
        Assert.False(job.TimedOut, "the job timed out\n" + job.Describe());
        var failed = job.Checks.Where(c => !c.Ok).Select(c => c.Line).ToList();
        Assert.True(failed.Count == 0, "failed checks:\n" + string.Join("\n", failed) + "\n" + job.Describe());
        Assert.True(job.ExitCode == 0, "non-zero exit\n" + job.Describe());
        Assert.True(job.Checks.Count >= minimumChecks,
            $"expected at least {minimumChecks} checks, saw {job.Checks.Count}\n" + job.Describe());
    }

    /// <summary>Check <paramref name="name"/> reported ok on exactly <paramref name="ranks"/> ranks.</summary>
    public static void OkOnRanks(MpiJob job, string name, int ranks)
    {
        int count = job.Checks.Count(c => c.Name == name && c.Ok);
        Assert.True(count == ranks, $"check '{name}' was ok on {count} ranks, expected {ranks}\n" + job.Describe());
    }
}
