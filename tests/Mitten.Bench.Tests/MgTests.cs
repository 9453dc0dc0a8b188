using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The NAS MG port (bench/MG) under real mpiexec jobs: the official verification (the L2 norm
/// of the final residual) must succeed at several process counts with nothing allocated in
/// the timed iterations; through Mitten, with migrations of rank 0 and another rank, it must
/// verify with the same norms, bit for bit, as the plain run; bad options are refused.
/// </summary>
public partial class MgTests
{
    private static string Program => Path.Combine(MpiJob.RepositoryRoot, "bench", "MG", "bin", MpiJob.Configuration, "net10.0", "MG");

    private static MpiJob Run(int ranks, params string[] args) => MpiJob.Run(ranks, Program, args, TimeSpan.FromSeconds(90));

    private static Dictionary<string, string> Result(MpiJob job)
    {
        string line = Assert.Single(job.LinesStartingWith("RESULT "));
        return Fields(line);
    }

    private static Dictionary<string, string> Fields(string line) =>
        Field().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Class_S_verifies(int ranks)
    {
        var job = Run(ranks, "--class", "S");
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = Result(job);
        Assert.Equal("S", result["class"]);
        Assert.Equal(ranks.ToString(CultureInfo.InvariantCulture), result["ranks"]);
        Assert.Equal("4", result["iterations"]);
        Assert.Equal("yes", result["verified"]);
        double rnm2 = double.Parse(result["rnm2"], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(rnm2 - 0.5307707005734e-04) / 0.5307707005734e-04 <= 1e-8, job.Describe());
        Assert.True(double.Parse(result["mops"], CultureInfo.InvariantCulture) > 0, job.Describe());
        // The grids and message buffers are preallocated: nothing is allocated per iteration.
        Assert.Equal("0", result["allocated_bytes"]);
        Assert.Matches(@"(?m)^ Verification\s+=\s+SUCCESSFUL$", job.Stdout);
        foreach (string field in new[] { "Class", "Size", "Iterations", "Time in seconds", "Total processes", "Mop/s total", "Mop/s/process" })
        {
            Assert.Matches(@"(?m)^ " + Regex.Escape(field) + @"\s+=\s+\S", job.Stdout);
        }
    }

    /// <summary>
    /// The halo exchange runs on a periodic Cartesian communicator: plain, MPI_Cart_create over
    /// MPI_COMM_WORLD; through Mitten, a Cartesian communicator derived from the session's, which
    /// the moving ranks' replacements get back (rank 0's replacement prints the RESULT line).
    /// On 8 ranks the grid is 2x2x2, so every axis exchanges with neighbours.
    /// </summary>
    [Theory]
    [InlineData(4, "1x2x2", 0, 2)]
    [InlineData(8, "2x2x2", 0, 5)]
    public void Through_Mitten_with_migrations_of_two_ranks_on_the_Cartesian_grid_the_result_is_the_plain_one(
        int ranks, string extents, int first, int second)
    {
        var plain = Run(ranks, "--class", "S");
        Assert.True(plain.ExitCode == 0, plain.Describe());
        var expected = Result(plain);
        Assert.Equal("cartesian:" + extents, expected["grid"]);

        // A request at iteration k is carried out at the group's next migration point (k + 1):
        // both moves happen inside the timed loop of 4 iterations.
        var job = Run(ranks, "--class", "S", "--migrate", $"{first}@1", "--migrate", $"{second}@2");
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = Result(job);
        Assert.Equal("yes", result["verified"]);
        Assert.Equal(expected["rnm2"], result["rnm2"]);
        Assert.Equal(expected["rnmu"], result["rnmu"]);
        Assert.Matches(@"^cartesian:" + extents + @":mitten-derived-[1-9]\d*$", result["grid"]);
        Assert.Single(Regex.Matches(job.Stdout, @"(?m)^ MG Benchmark Completed$"));
        Assert.Contains($"Running through Mitten: migrations rank {first} at iteration 1, rank {second} at iteration 2", job.Stdout);

        var migrations = job.LinesStartingWith("MIGRATION rank=").Select(l => Fields("rank=" + l)).ToList();
        Assert.True(migrations.Count == 2, job.Describe());
        Assert.Equal([first, second], migrations.Select(m => int.Parse(m["rank"], CultureInfo.InvariantCulture)).Order());
        foreach (var m in migrations)
        {
            Assert.Equal("Committed", m["outcome"]);
            Assert.InRange(int.Parse(m["iteration"], CultureInfo.InvariantCulture), 2, 4);
            // The grids travel: u, r and v of the finest box with its ghosts at least.
            int box = 32 * 32 * 32 / ranks;
            Assert.True(long.Parse(m["state_bytes"], CultureInfo.InvariantCulture) > 3 * box * 8, job.Describe());
        }
    }

    [Fact]
    public void Interleaved_compare_runs_both_variants_and_they_agree()
    {
        var job = Run(2, "--class", "S", "--compare", "mitten", "--repeats", "1", "--interleave");
        Assert.True(job.ExitCode == 0, job.Describe());
        var pairs = job.LinesStartingWith("COMPARE_ITER ").Select(Fields).ToList();
        Assert.Equal(2 * 4, pairs.Count); // warm-up repetition and one more, 4 iterations each
        Assert.All(pairs, p => Assert.True(double.Parse(p["mitten_s"], CultureInfo.InvariantCulture) > 0));
        var runs = job.LinesStartingWith("COMPARE ").Select(Fields).ToList();
        Assert.Equal(["plain", "mitten", "plain", "mitten"], runs.Select(r => r["variant"]));
        Assert.All(runs, r => Assert.Equal("yes", r["verified"]));
        Assert.Single(runs.Select(r => r["rnm2"]).Distinct());
    }

    [Fact]
    public void Mitten_without_migrations_allocates_nothing_in_the_timed_iterations()
    {
        var job = Run(2, "--class", "S", "--mitten");
        Assert.True(job.ExitCode == 0, job.Describe());
        var result = Result(job);
        Assert.Equal("yes", result["verified"]);
        Assert.Equal("0", result["allocated_bytes"]);
        Assert.StartsWith("cartesian:1x1x2:mitten-derived-", result["grid"]); // the halo on the derived grid, still no allocation
    }

    [Theory]
    [InlineData(new[] { "--class", "S", "--migrate", "1-3" }, "--migrate wants RANK@ITERATION")]
    [InlineData(new[] { "--class", "Q" }, "unknown MG class")]
    [InlineData(new[] { "--class", "S", "--migrate", "5@2" }, "ranks are 0..1, iterations 1..4")]
    [InlineData(new[] { "--class", "S", "--interleave" }, "--interleave needs --compare")]
    public void A_bad_option_is_refused(string[] args, string message)
    {
        var job = Run(2, args);
        Assert.True(job.ExitCode == 2, job.Describe());
        Assert.Contains(message, job.Stderr);
        Assert.Empty(job.LinesStartingWith("RESULT "));
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();
}
