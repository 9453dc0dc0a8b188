using System.Text.Json;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// A coordinated checkpoint taken while messages are in transit on a derived communicator
/// (MittenDriver's transit scenario with all its point-to-point traffic on a Split of the
/// session's communicator, ranks reversed; messages of iteration k are received in k + 1, so
/// some are in transit at every migration point): the checkpoint is written with those drained
/// messages, and a job restarted from it after a crash gets each of them exactly once, in order,
/// on the communicator it makes again, ending with the checksums of an uninterrupted run.
/// </summary>
public partial class DerivedCheckpointTests
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

    private static List<string> Checksums(MpiJob job) =>
        job.LinesStartingWith("RESULT rank=").Select(l => ChecksumField().Match(l).Value).Order().ToList();

    [Fact]
    public void A_checkpoint_with_messages_in_transit_on_a_derived_communicator_restarts_with_each_delivered_once()
    {
        string root = Path.Combine(Path.GetTempPath(), "mitten-derived-checkpoint-" + Guid.NewGuid().ToString("N")[..8]);
        string checkpoints = Path.Combine(root, "checkpoints");
        try
        {
            string driver = MpiJob.Driver("MittenDriver");
            string[] transit = ["transit", "--on-split", "--iterations", "10"];
            var uninterrupted = MpiJob.Run(3, driver, transit, TimeSpan.FromSeconds(90), environment: JobEnvironment(Path.Combine(root, "uninterrupted")));
            JobAssert.Succeeded(uninterrupted, 6);
            List<string> expected = Checksums(uninterrupted);
            Assert.Equal(3, expected.Count);

            // Checkpoint requested at iteration 3 (taken at the next migration point), crash at 6.
            var crashed = MpiJob.Run(3, driver, [.. transit, "--checkpoint", "3:" + checkpoints, "--crash-at", "6"],
                TimeSpan.FromSeconds(90), environment: JobEnvironment(Path.Combine(root, "crashed")));
            Assert.Contains("CRASH rank=", crashed.Stdout);
            string outcomeFile = Assert.Single(Directory.GetFiles(Path.Combine(root, "crashed", "checkpoints"), "*.json"));
            using (var outcome = JsonDocument.Parse(File.ReadAllText(outcomeFile)))
            {
                // Before, this checkpoint failed: "message(s) were in transit on a derived communicator".
                Assert.True(outcome.RootElement.GetProperty("outcome").GetString() == "written", File.ReadAllText(outcomeFile) + "\n" + crashed.Describe());
            }

            var restarted = MpiJob.Run(3, driver, transit, TimeSpan.FromSeconds(90), environment: JobEnvironment(Path.Combine(root, "restarted"), checkpoints));
            JobAssert.Succeeded(restarted, 6); // all-delivered-once and in-order on every rank
            Assert.Equal(3, restarted.LinesStartingWith("RESTARTED ").Count());
            Assert.Equal(expected, Checksums(restarted));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [GeneratedRegex(@"checksum=\S+")]
    private static partial Regex ChecksumField();
}
