using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The migration benchmark (<c>bench/Mitten/run.sh migration</c>, behind <c>scripts/bench.sh
/// migration</c>) refuses input it cannot run (a rank count IS cannot use, a moving rank that does
/// not exist, a scaling sweep over namespace hosts, ...) with exit code 2 and one
/// <c>migration: ...</c> line, before it builds anything or starts an MPI job.
/// </summary>
public class MigrationSweepOptionsTests
{
    [Theory]
    [InlineData("--ranks|3", "powers of two from 2 to 1024")]
    [InlineData("--ranks|2 4 8 16 32 64 128 100", "not '100'")]
    [InlineData("--ranks|1", "not '1'")]
    [InlineData("--ranks|", "at least one rank count")]
    [InlineData("--ranks|4 4", "lists 4 twice")]
    [InlineData("--ranks|2 4|--rank|5", "--rank 5 does not exist at 2 ranks")]
    [InlineData("--spares|0 x", "spare counts 0..16, not 'x'")]
    [InlineData("--spares|0 0", "lists 0 twice")]
    [InlineData("--spares|0 1|--hosts|2", "not with --hosts")]
    [InlineData("--repeats|0", "positive integer, not '0'")]
    [InlineData("--repeats-large|x", "--repeats-large takes a positive integer")]
    [InlineData("--job-timeout|-5", "--job-timeout takes a positive number")]
    [InlineData("--class|Q", "S, W, A, B or C, not 'Q'")]
    [InlineData("--iteration|11", "1..10")]
    [InlineData("--hosts|1", "2 or more hosts")]
    [InlineData("--repeats", "option --repeats needs a value")]
    [InlineData("--no-such-option", "unknown option --no-such-option")]
    public async Task Input_it_cannot_run_is_refused_before_anything_runs(string arguments, string expected)
    {
        string results = Path.Combine(Path.GetTempPath(), "mitten-sweep-options-" + Guid.NewGuid().ToString("N"));
        try
        {
            // A lock nobody else holds: if the input were accepted, no MPI job may wait for the shared one;
            // accepted input would build and run jobs, which BashRun stops at its deadline as a failure.
            (int exitCode, string stdout, string stderr) = await BashRun.Run($"run.sh migration {arguments.Replace('|', ' ')} (not refused)",
                [Path.Combine(MpiJob.RepositoryRoot, "bench", "Mitten", "run.sh"), "migration", .. arguments.Split('|')],
                environment: new Dictionary<string, string> { ["MITTEN_BENCH_RESULTS"] = results, ["MITTEN_BENCH_LOCK"] = Path.Combine(results, "lock") });
            Assert.True(exitCode == 2, $"exit code {exitCode}; stderr: {stderr}; stdout: {stdout}");
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("migration: ", line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.Equal("", stdout);
            Assert.False(File.Exists(Path.Combine(results, "migration-scaling.csv")), "a refused sweep wrote results");
        }
        finally
        {
            if (Directory.Exists(results))
            {
                Directory.Delete(results, recursive: true);
            }
        }
    }
}
