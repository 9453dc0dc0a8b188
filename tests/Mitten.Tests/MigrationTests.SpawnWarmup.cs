using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// A replacement spawned without a spare (MovingRank.SpawnReplacement) is told so through the
/// spawn's environment (MITTEN_SPAWNED_REPLACEMENT=1) and compiles its state receive on a
/// background thread before MPI_Init (ProtocolWarmup.StartBeforeInitOnSpawnedReplacement); the
/// restore waits for that compile, and the migrated program still verifies.
/// </summary>
public partial class MigrationTests
{
    [Fact]
    public void A_spawned_replacement_compiles_its_receive_before_MPI_Init_and_its_resume_path_before_the_accept()
    {
        // NAS IS (a [Migratable] state through MigratableCodec) on 4 ranks, rank 1 moving at
        // iteration 3 to a spawned replacement: the replacement's trace says how long the compile
        // started before MPI_Init took (0 when none ran), and IS verifies its keys.
        string program = MpiJob.Benchmark("IS");
        var job = MpiJob.Run(4, program, ["--class", "S", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1" });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        string migration = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("outcome=Committed", migration);
        Assert.DoesNotContain("spare_taken_ms=", migration);
        Match warmup = Regex.Match(job.Stderr, @"replacement: state restored .*warm-up started before MPI_Init (\d+\.\d) ms \(of it the restore's (\d+) methods (\d+\.\d) ms\), waited for (\d+\.\d) ms");
        Assert.True(warmup.Success, job.Describe());
        Assert.True(double.Parse(warmup.Groups[1].Value, CultureInfo.InvariantCulture) > 0, $"no warm-up ran before MPI_Init\n{job.Describe()}");
        // It prepared the restore of IS's state type too (ProtocolWarmup.PrepareRestore: its methods, the reader's reads).
        Assert.True(int.Parse(warmup.Groups[2].Value, CultureInfo.InvariantCulture) > 0, $"the restore was not prepared before MPI_Init\n{job.Describe()}");
        // The replacement built its protocol object once before the group connected (spawn15).
        Assert.Contains("replacement: resume path warmed before the accept", job.Stderr);
    }
}
