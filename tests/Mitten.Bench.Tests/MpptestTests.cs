using System.Globalization;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The Mpptest-style suite (bench/Mpptest) in its quick mode under real mpiexec jobs: every
/// pattern reports positive times for every size, and the latency/bandwidth fit is present.
/// </summary>
public class MpptestTests
{
    private static string Program => Path.Combine(MpiJob.RepositoryRoot, "bench", "Mpptest", "bin", MpiJob.Configuration, "net10.0", "Mpptest");

    private static readonly int[] QuickSizes = [0, 8, 512, 4096, 32768];

    [Theory]
    [InlineData("p2p", 2, new[] { "pingpong", "nonblocking", "head-to-head", "halo", "bisection" })]
    [InlineData("collective", 4, new[] { "barrier", "bcast", "reduce", "allreduce", "alltoall" })]
    public void Quick_suite_reports_sane_times_and_a_fit(string patterns, int ranks, string[] expected)
    {
        var job = MpiJob.Run(ranks, Program, ["--quick", "--patterns", patterns], TimeSpan.FromSeconds(60));
        Assert.True(job.ExitCode == 0, job.Describe());
        var measures = job.LinesStartingWith("CSV measure,").Select(l => l.Split(',')).ToList();
        var fits = job.LinesStartingWith("CSV fit,").Select(l => l.Split(',')).ToList();
        foreach (string pattern in expected)
        {
            var rows = measures.Where(r => r[0] == pattern).ToList();
            int[] sizes = pattern == "barrier" ? [0] : QuickSizes;
            Assert.True(rows.Count == sizes.Length, $"{pattern}: {rows.Count} rows\n" + job.Describe());
            foreach (var row in rows)
            {
                // pattern, variant, ranks, size, K, T, min_us, median_us, MB/s
                Assert.Equal(ranks.ToString(), row[2]);
                double min = Parse(row[6]), median = Parse(row[7]);
                Assert.True(min > 0 && median >= min, $"{string.Join(",", row)}\n" + job.Describe());
                Assert.True(long.Parse(row[4]) >= 1 && row[5] == "3", string.Join(",", row));
            }
            Assert.Equal(sizes, rows.Select(r => int.Parse(r[3])).ToArray());
            if (pattern != "barrier")
            {
                var fit = Assert.Single(fits, f => f[0] == pattern);
                double latency = Parse(fit[3]), bandwidth = Parse(fit[4]);
                Assert.True(double.IsFinite(latency) && latency > -1, $"latency {latency}\n" + job.Describe());
                Assert.True(bandwidth > 0, $"bandwidth {bandwidth}\n" + job.Describe());
            }
        }
        // The larger messages take longer than the smallest non-empty one.
        var pingOrBcast = measures.Where(r => r[0] == (patterns == "p2p" ? "pingpong" : "bcast")).ToList();
        Assert.True(Parse(pingOrBcast[^1][6]) > Parse(pingOrBcast[1][6]), job.Describe());
    }

    [Fact]
    public void Alternating_two_variants_prints_ratios_and_their_geometric_mean()
    {
        var job = MpiJob.Run(2, Program, ["--quick", "--patterns", "pingpong", "--compare", "plain"], TimeSpan.FromSeconds(60));
        Assert.True(job.ExitCode == 0, job.Describe());
        var ratios = job.LinesStartingWith("CSV ratio,").Select(l => l.Split(',')).ToList();
        Assert.Equal(QuickSizes.Length, ratios.Count);
        Assert.All(ratios, r => Assert.True(Parse(r[4]) > 0 && Parse(r[5]) > 0, string.Join(",", r)));
        var geomean = Assert.Single(job.LinesStartingWith("CSV geomean,")).Split(',');
        Assert.Equal("plain-dup/plain", geomean[1]);
        Assert.True(Parse(geomean[3]) > 0.2 && Parse(geomean[3]) < 5, job.Describe());
        AssertVariantsShareBuffers(job, ["pingpong"], ["plain", "plain-dup"]);
    }

    [Fact]
    public void Mitten_alternates_with_plain_and_its_nonblocking_requests_allocate_nothing()
    {
        var job = MpiJob.Run(2, Program, ["--quick", "--patterns", "pingpong,halo", "--compare", "mitten"], TimeSpan.FromSeconds(90));
        Assert.True(job.ExitCode == 0, job.Describe());
        // halo posts 2 Irecv and 2 Isend per repetition: a Mitten request is a table entry, not an object.
        var allocated = job.LinesStartingWith("allocated mitten:").ToList();
        Assert.Equal(2, allocated.Count);
        Assert.All(allocated, rest => Assert.StartsWith(" 0.0 managed bytes", rest));
        var ratios = job.LinesStartingWith("CSV ratio,").Select(l => l.Split(',')).ToList();
        Assert.Equal(2 * QuickSizes.Length, ratios.Count);
        Assert.All(ratios, r => Assert.True(r[1] == "mitten/plain" && Parse(r[4]) > 0 && Parse(r[5]) > 0, string.Join(",", r)));
        var variants = job.LinesStartingWith("CSV measure,").Select(l => l.Split(',')[1]).Distinct().Order();
        Assert.Equal(["mitten", "plain"], variants);
        Assert.Equal(2, job.LinesStartingWith("CSV geomean,").Count());
        AssertVariantsShareBuffers(job, ["pingpong", "halo"], ["plain", "mitten"]);
    }

    /// <summary>
    /// Both variants of a comparison send from and receive into the same buffers ("CSV buffers,pattern,variant,id":
    /// one line per variant with the same id), so where a job's arrays lie cannot tell the variants apart.
    /// </summary>
    private static void AssertVariantsShareBuffers(MpiJob job, string[] patterns, string[] variants)
    {
        var rows = job.LinesStartingWith("CSV buffers,").Select(l => l.Split(',')).ToList();
        foreach (string pattern in patterns)
        {
            var ofPattern = rows.Where(r => r[0] == pattern).ToList();
            Assert.True(ofPattern.Select(r => r[1]).Order().SequenceEqual(variants.Order()), $"{pattern}: buffer lines\n" + job.Describe());
            Assert.True(ofPattern.Select(r => r[2]).Distinct().Count() == 1, $"{pattern}: the variants moved different buffers\n" + job.Describe());
        }
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
