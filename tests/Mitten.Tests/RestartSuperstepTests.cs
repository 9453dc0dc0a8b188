using System.Text.Json;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// A restarted job continues the superstep count of its checkpoint: the ranks' status files
/// (ranks/*.json, what `mitten status` shows) end at the same superstep as an uninterrupted run,
/// and the first status a restarted rank writes is the checkpoint's superstep, not 0.
/// </summary>
public class RestartSuperstepTests
{
    private static Dictionary<string, string> JobEnvironment(string jobDirectory, string? restartDirectory = null)
    {
        Directory.CreateDirectory(jobDirectory);
        var environment = new Dictionary<string, string> { ["MITTEN_JOB_DIR"] = jobDirectory };
        if (restartDirectory is not null)
        {
            environment["MITTEN_RESTART_DIR"] = restartDirectory;
        }
        return environment;
    }

    private static long[] Supersteps(string jobDirectory, int ranks) =>
        Enumerable.Range(0, ranks).Select(r =>
        {
            using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(jobDirectory, "ranks", $"{r}.json")));
            return status.RootElement.GetProperty("superstep").GetInt64();
        }).ToArray();

    [Fact]
    public void A_restarted_job_continues_from_the_checkpoints_superstep()
    {
        string root = Path.Combine(Path.GetTempPath(), "mitten-restart-superstep-" + Guid.NewGuid().ToString("N")[..8]);
        string checkpoints = Path.Combine(root, "checkpoints");
        try
        {
            string driver = MpiJob.Driver("MittenDriver");
            string uninterruptedJob = Path.Combine(root, "uninterrupted");
            var uninterrupted = MpiJob.Run(3, driver, ["transit", "--iterations", "10"], environment: JobEnvironment(uninterruptedJob));
            JobAssert.Succeeded(uninterrupted, 6);
            long[] expected = Supersteps(uninterruptedJob, 3);
            Assert.All(expected, s => Assert.True(s >= 10, $"an uninterrupted run of 10 iterations ends at superstep {s}"));

            var crashed = MpiJob.Run(3, driver, ["transit", "--iterations", "10", "--checkpoint", "3:" + checkpoints, "--crash-at", "6"],
                TimeSpan.FromSeconds(90), environment: JobEnvironment(Path.Combine(root, "crashed")));
            Assert.Contains("CRASH rank=", crashed.Stdout);
            using var outcome = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(root, "crashed", "checkpoints"), "*.json").Single()));
            long checkpointSuperstep = outcome.RootElement.GetProperty("superstep").GetInt64();
            Assert.True(checkpointSuperstep > 0, crashed.Describe());

            string restartedJob = Path.Combine(root, "restarted");
            var restarted = MpiJob.Run(3, driver, ["transit", "--iterations", "10"], environment: JobEnvironment(restartedJob, checkpoints));
            JobAssert.Succeeded(restarted, 6);
            Assert.Equal(3, restarted.LinesStartingWith("RESTARTED ").Count());
            // Same final superstep as the uninterrupted run (before the fix it ended short by the checkpoint's superstep).
            Assert.Equal(expected, Supersteps(restartedJob, 3));
            Assert.All(Supersteps(restartedJob, 3), s => Assert.True(s > checkpointSuperstep));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
