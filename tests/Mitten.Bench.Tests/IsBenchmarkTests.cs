using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The NAS IS port (bench/IS) under real mpiexec jobs: the official partial and full
/// verification must succeed at several process counts, and must fail when a key is corrupted.
/// </summary>
public partial class IsBenchmarkTests
{
    private static string Program => Path.Combine(MpiJob.RepositoryRoot, "bench", "IS", "bin", MpiJob.Configuration, "net10.0", "IS");

    private static MpiJob Run(int ranks, params string[] args) =>
        MpiJob.Run(ranks, Program, args, TimeSpan.FromSeconds(60));

    internal static Dictionary<string, string> Result(MpiJob job)
    {
        string line = Assert.Single(job.LinesStartingWith("RESULT "));
        return ResultField().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    [Theory]
    [InlineData("S", 1)]
    [InlineData("S", 2)]
    [InlineData("S", 4)]
    [InlineData("W", 2)]
    public void Verification_succeeds(string className, int ranks)
    {
        var job = Run(ranks, "--class", className);
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = Result(job);
        Assert.Equal(className, result["class"]);
        Assert.Equal(ranks.ToString(), result["ranks"]);
        Assert.Equal("yes", result["verified"]);
        // 5 partial tests in each of 10 iterations plus one full verification per process.
        Assert.Equal((50 + ranks).ToString(), result["passed"]);
        Assert.True(double.Parse(result["mops"], System.Globalization.CultureInfo.InvariantCulture) > 0, job.Describe());
        // Keys are processed in preallocated arrays: nothing is allocated per iteration.
        Assert.Equal("0", result["allocated_bytes"]);
        Assert.Matches(@"(?m)^ Verification\s+=\s+SUCCESSFUL$", job.Stdout);
        foreach (string field in new[] { "Class", "Size", "Iterations", "Time in seconds", "Total processes", "Mop/s total", "Mop/s/process" })
        {
            Assert.Matches(@"(?m)^ " + Regex.Escape(field) + @"\s+=\s+\S", job.Stdout);
        }
        Assert.DoesNotContain("Failed", job.Stdout);
    }

    [Fact]
    public void A_corrupted_key_fails_verification()
    {
        var job = Run(2, "--class", "S", "--corrupt-key");
        Assert.NotEqual(0, job.ExitCode);
        var result = Result(job);
        Assert.Equal("no", result["verified"]);
        Assert.True(int.Parse(result["passed"]) < 52, job.Describe());
        Assert.Contains("Failed partial verification", job.Stdout);
        Assert.Matches(@"(?m)^ Verification\s+=\s+UNSUCCESSFUL$", job.Stdout);
    }

    [Fact]
    public void Fewer_iterations_verify_with_their_own_expected_count()
    {
        var job = Run(2, "--class", "S", "--iterations", "3");
        var result = Result(job);
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Equal("17", result["expected"]);
        Assert.Equal("17", result["passed"]);
    }

    [Theory]
    [InlineData("5@3")]
    [InlineData("1@11")]
    [InlineData("1-3")]
    public void A_migration_that_cannot_exist_is_refused(string plan)
    {
        var job = Run(2, "--class", "S", "--migrate", plan);
        Assert.Equal(2, job.ExitCode);
        Assert.Matches(@"IS: --migrate .*(RANK@ITERATION|ranks are 0\.\.1, iterations 1\.\.10)", job.Stderr);
        Assert.Empty(job.LinesStartingWith("RESULT "));
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex ResultField();
}
