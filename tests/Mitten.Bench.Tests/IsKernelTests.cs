using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The C baseline of IS (bench/native/is.c, what <c>scripts/bench.sh iskernel</c> compares the
/// C# port with) ranks the same key sets as the port: both verify and give the same key rank
/// checksum, in every repetition of a job; the C# port allocates nothing in its timed loops.
/// And Mitten's start-up work happens inside MittenSession.Start, not in the timed loop.
/// </summary>
public partial class IsKernelTests
{
    private static string CsharpProgram => Path.Combine(MpiJob.RepositoryRoot, "bench", "IS", "bin", MpiJob.Configuration, "net10.0", "IS");

    private static readonly Lazy<string?> CProgram = new(() => NativeBaseline.Build("is.c"));

    private static List<Dictionary<string, string>> Results(MpiJob job, string impl) => NativeBaseline.Results(job, impl);

    [Theory]
    [InlineData("S", 1)]
    [InlineData("W", 2)]
    [InlineData("S", 4)]
    public void C_baseline_ranks_the_same_keys_as_the_port(string className, int ranks)
    {
        // Every MPI test needs Open MPI; its compiler wrapper comes with it (scripts/setup.sh).
        string c = CProgram.Value ?? throw Xunit.Sdk.SkipException.ForSkip("mpicc is not installed here (scripts/setup.sh installs Open MPI's compiler wrapper): the C baseline cannot be built");
        var cJob = MpiJob.Run(ranks, c, ["--class", className, "--repeats", "2"], TimeSpan.FromSeconds(60));
        Assert.True(cJob.ExitCode == 0, cJob.Describe());
        var csJob = MpiJob.Run(ranks, CsharpProgram, ["--class", className, "--repeats", "2"], TimeSpan.FromSeconds(60));
        Assert.True(csJob.ExitCode == 0, csJob.Describe());

        var cResults = Results(cJob, "c");
        var csResults = Results(csJob, "csharp");
        Assert.True(cResults.Count == 2, cJob.Describe());
        Assert.True(csResults.Count == 2, csJob.Describe());
        string expected = (5 * 10 + ranks).ToString(CultureInfo.InvariantCulture);
        foreach (var r in cResults.Concat(csResults))
        {
            Assert.Equal("yes", r["verified"]);
            Assert.Equal(expected, r["passed"]);
            Assert.Equal(className, r["class"]);
            Assert.Equal(ranks.ToString(CultureInfo.InvariantCulture), r["ranks"]);
            Assert.True(double.Parse(r["mops"], CultureInfo.InvariantCulture) > 0);
        }
        Assert.Single(cResults.Concat(csResults).Select(r => r["key_rank_checksum"]).Distinct());
        Assert.All(csResults, r => Assert.Equal("0", r["allocated_bytes"]));
        // The job's usual report comes once, after the last repetition.
        Assert.Single(csJob.LinesStartingWith("RESULT class="));
    }

    [Fact]
    public void Mitten_start_compiles_the_protocol_and_exercises_the_migration_point_before_returning()
    {
        var environment = new Dictionary<string, string> { ["MITTEN_STARTUP_REPORT"] = "1" };
        var job = MpiJob.Run(2, CsharpProgram, ["--class", "S", "--mitten"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.True(job.ExitCode == 0, job.Describe());
        var reports = StartupLine().Matches(job.Stderr).ToList();
        Assert.True(reports.Count == 2, job.Describe());
        foreach (Match report in reports)
        {
            Assert.True(double.Parse(report.Groups["prejit"].Value, CultureInfo.InvariantCulture) > 0, job.Describe());
            Assert.True(int.Parse(report.Groups["methods"].Value, CultureInfo.InvariantCulture) > 100, job.Describe());
            Assert.True(report.Groups["exercised"].Value == "yes", "the migration point's fast path was not exercised (a protocol field renamed?)\n" + job.Describe());
        }
        // Every timed iteration is reported.
        string times = Assert.Single(job.LinesStartingWith("ITERATION_TIMES rank=0 first=1 ms="));
        Assert.Equal(10, times.Split(',').Length);

        environment["MITTEN_PREJIT"] = "0";
        var off = MpiJob.Run(2, CsharpProgram, ["--class", "S", "--mitten"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.True(off.ExitCode == 0, off.Describe());
        Assert.All(StartupLine().Matches(off.Stderr), m => Assert.Equal("0", m.Groups["methods"].Value));
    }

    [GeneratedRegex(@"mitten-startup rank=\d+ prejit_ms=(?<prejit>[0-9.]+) methods=(?<methods>\d+) exercise_ms=[0-9.]+ exercised=(?<exercised>yes|no)")]
    private static partial Regex StartupLine();
}
