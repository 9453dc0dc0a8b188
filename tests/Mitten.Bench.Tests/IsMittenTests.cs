using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// NAS IS through the Mitten layer (bench/IS --mitten, --migrate, --compare mitten) under real
/// mpiexec jobs: with migrations of any rank, rank 0 included, the official verification must
/// succeed and the computed key ranks (key_rank_checksum) must equal those of a plain run;
/// each replacement reports its migration.
/// </summary>
public partial class IsMittenTests
{
    private static string Program => Path.Combine(MpiJob.RepositoryRoot, "bench", "IS", "bin", MpiJob.Configuration, "net10.0", "IS");

    private static MpiJob Run(int ranks, params string[] args) => MpiJob.Run(ranks, Program, args, TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData("S", 4, new[] { "0@3", "3@6" }, new[] { 0, 3 })]
    [InlineData("W", 2, new[] { "1@2", "1@6" }, new[] { 1, 1 })]
    public void Verification_and_key_ranks_survive_migrations(string className, int ranks, string[] plans, int[] movedRanks)
    {
        var plain = Run(ranks, "--class", className);
        Assert.True(plain.ExitCode == 0, plain.Describe());
        var expected = IsBenchmarkTests.Result(plain);

        var args = new List<string> { "--class", className };
        foreach (string plan in plans)
        {
            args.AddRange(["--migrate", plan]);
        }
        var job = Run(ranks, [.. args]);
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = IsBenchmarkTests.Result(job);
        Assert.Equal("yes", result["verified"]);
        Assert.Equal(expected["passed"], result["passed"]);
        Assert.Equal(expected["expected"], result["expected"]);
        Assert.Equal(expected["key_rank_checksum"], result["key_rank_checksum"]);
        Assert.Matches(@"(?m)^ Verification\s+=\s+SUCCESSFUL$", job.Stdout);
        Assert.Single(Regex.Matches(job.Stdout, @"(?m)^ IS Benchmark Completed$"));
        Assert.Single(Regex.Matches(job.Stdout, @"(?m)^ NAS Parallel Benchmarks"));

        // One report per migration, printed by each replacement, with the phases in order.
        var migrations = job.LinesStartingWith("MIGRATION rank=")
            .Select(l => Field().Matches("rank=" + l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();
        Assert.True(migrations.Count == movedRanks.Length, job.Describe());
        Assert.Equal(movedRanks.Order(), migrations.Select(m => int.Parse(m["rank"], CultureInfo.InvariantCulture)).Order());
        foreach (var m in migrations)
        {
            Assert.Equal("Committed", m["outcome"]);
            double synchronized = Ms(m, "synchronized"), spawned = Ms(m, "spawned"), restored = Ms(m, "restored"), resumed = Ms(m, "resumed");
            Assert.True(0 <= synchronized && synchronized <= spawned && spawned <= restored && restored <= resumed, job.Describe());
            Assert.True(long.Parse(m["state_bytes"], CultureInfo.InvariantCulture) > 0, job.Describe());
            int iteration = int.Parse(m["iteration"], CultureInfo.InvariantCulture);
            Assert.InRange(iteration, 1, 10);
        }
        // Rank 1's two moves happened at different iterations (the second replacement moved again).
        if (movedRanks.Distinct().Count() < movedRanks.Length)
        {
            Assert.Equal(movedRanks.Length, migrations.Select(m => m["iteration"]).Distinct().Count());
        }
    }

    [Fact]
    public void Mitten_without_migrations_verifies_like_plain()
    {
        var job = Run(2, "--class", "S", "--mitten");
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = IsBenchmarkTests.Result(job);
        Assert.Equal("yes", result["verified"]);
        Assert.Equal("52", result["passed"]);
        Assert.Empty(job.LinesStartingWith("MIGRATION "));
    }

    [Fact]
    public void Compare_mode_alternates_plain_and_Mitten_runs_that_all_verify()
    {
        var job = Run(2, "--class", "S", "--compare", "mitten", "--repeats", "2");
        Assert.True(job.ExitCode == 0, job.Describe());
        var runs = job.LinesStartingWith("COMPARE ").Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();
        // The warm-up pair (rep 0), then plain, mitten / mitten, plain.
        Assert.Equal(["0", "0", "1", "1", "2", "2"], runs.Select(r => r["rep"]));
        Assert.Equal(["plain", "mitten", "plain", "mitten", "mitten", "plain"], runs.Select(r => r["variant"]));
        Assert.All(runs, r => Assert.Equal("yes", r["verified"]));
        Assert.Single(runs.Select(r => r["key_rank_checksum"]).Distinct());
        Assert.All(runs, r => Assert.True(double.Parse(r["seconds"], CultureInfo.InvariantCulture) > 0));
    }

    [Fact]
    public void Control_mode_alternates_plain_with_plain_on_a_duplicate_communicator()
    {
        var job = Run(2, "--class", "S", "--compare", "plain", "--repeats", "2");
        Assert.True(job.ExitCode == 0, job.Describe());
        var runs = job.LinesStartingWith("COMPARE ").Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();
        Assert.Equal(["plain", "plain-dup", "plain", "plain-dup", "plain-dup", "plain"], runs.Select(r => r["variant"]));
        Assert.All(runs, r => Assert.Equal("yes", r["verified"]));
        Assert.Single(runs.Select(r => r["key_rank_checksum"]).Distinct());
    }

    [Fact]
    public void Interleaved_compare_alternates_the_variants_iteration_by_iteration_and_both_verify()
    {
        var job = Run(2, "--class", "S", "--compare", "mitten", "--repeats", "2", "--interleave");
        Assert.True(job.ExitCode == 0, job.Describe());
        var pairs = job.LinesStartingWith("COMPARE_ITER ").Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();
        // The warm-up repetition (rep 0), then 2; 10 timed iterations each; which variant goes
        // first alternates from one iteration to the next and from one repetition to the next.
        // Every run, on either reused state, verifies and ranks the keys the same way.
        Assert.Equal(3 * 10, pairs.Count);
        for (int k = 0; k < pairs.Count; k++)
        {
            int rep = k / 10, iteration = k % 10 + 1;
            Assert.Equal(rep.ToString(CultureInfo.InvariantCulture), pairs[k]["rep"]);
            Assert.Equal(iteration.ToString(CultureInfo.InvariantCulture), pairs[k]["iteration"]);
            Assert.Equal((rep + iteration - 1) % 2 == 0 ? "plain" : "mitten", pairs[k]["first"]);
            Assert.Equal((rep % 2).ToString(CultureInfo.InvariantCulture), pairs[k]["layout"]); // the two states swap variants
            Assert.True(double.Parse(pairs[k]["plain_s"], CultureInfo.InvariantCulture) > 0);
            Assert.True(double.Parse(pairs[k]["mitten_s"], CultureInfo.InvariantCulture) > 0);
        }
        var runs = job.LinesStartingWith("COMPARE ").Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();
        Assert.Equal(["plain", "mitten", "plain", "mitten", "plain", "mitten"], runs.Select(r => r["variant"]));
        Assert.All(runs, r => Assert.Equal("yes", r["verified"]));
        Assert.Single(runs.Select(r => r["key_rank_checksum"]).Distinct());
    }

    [Fact]
    public void Interleave_without_compare_is_refused()
    {
        var job = Run(2, "--class", "S", "--interleave");
        Assert.Equal(2, job.ExitCode);
        Assert.Contains("--interleave needs --compare", job.Stderr);
    }

    private static double Ms(Dictionary<string, string> fields, string phase) =>
        double.Parse(fields[phase + "_ms"], CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();
}
