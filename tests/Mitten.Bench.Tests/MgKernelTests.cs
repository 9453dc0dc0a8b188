using System.Globalization;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The C baseline of MG (bench/native/mg.c, what <c>scripts/bench.sh mgkernel</c> compares the
/// C# port with) does the port's arithmetic: built as the benchmark builds it, both verify and
/// give the same final norms, bit for bit, in every repetition of a job, on 1 and 2 processes;
/// the C# port allocates nothing in its timed iterations and prints its report once.
/// </summary>
public class MgKernelTests
{
    private static string CsharpProgram => Path.Combine(MpiJob.RepositoryRoot, "bench", "MG", "bin", MpiJob.Configuration, "net10.0", "MG");

    // -ffp-contract=off as in scripts/bench.sh: no fused multiply-adds, the port's rounding.
    private static readonly Lazy<string?> CProgram = new(() => NativeBaseline.Build("mg.c", "-ffp-contract=off"));

    private static List<Dictionary<string, string>> Results(MpiJob job, string impl) => NativeBaseline.Results(job, impl);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void C_baseline_computes_the_norms_of_the_port_bit_for_bit(int ranks)
    {
        string? c = CProgram.Value;
        if (c is null)
        {
            throw Xunit.Sdk.SkipException.ForSkip("mpicc is not installed here (scripts/setup.sh installs Open MPI's compiler wrapper): the C baseline cannot be built");
        }
        var cJob = MpiJob.Run(ranks, c, ["--class", "S", "--repeats", "2"], TimeSpan.FromSeconds(60));
        Assert.True(cJob.ExitCode == 0, cJob.Describe());
        var csJob = MpiJob.Run(ranks, CsharpProgram, ["--class", "S", "--repeats", "2"], TimeSpan.FromSeconds(90));
        Assert.True(csJob.ExitCode == 0, csJob.Describe());

        var cResults = Results(cJob, "c");
        var csResults = Results(csJob, "csharp");
        Assert.True(cResults.Count == 2, cJob.Describe());
        Assert.True(csResults.Count == 2, csJob.Describe());
        foreach (var r in cResults.Concat(csResults))
        {
            Assert.Equal("yes", r["verified"]);
            Assert.Equal("S", r["class"]);
            Assert.Equal(ranks.ToString(CultureInfo.InvariantCulture), r["ranks"]);
            Assert.Equal("4", r["iterations"]);
            Assert.True(double.Parse(r["mops"], CultureInfo.InvariantCulture) > 0);
        }
        // The same doubles (C prints 17 digits, .NET the shortest round-trip form).
        double rnm2 = double.Parse(csResults[0]["rnm2"], CultureInfo.InvariantCulture);
        double rnmu = double.Parse(csResults[0]["rnmu"], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(rnm2 - 0.5307707005734e-04) / 0.5307707005734e-04 <= 1e-8, csJob.Describe());
        foreach (var r in cResults.Concat(csResults))
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(rnm2), BitConverter.DoubleToInt64Bits(double.Parse(r["rnm2"], CultureInfo.InvariantCulture)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(rnmu), BitConverter.DoubleToInt64Bits(double.Parse(r["rnmu"], CultureInfo.InvariantCulture)));
        }
        // The same process grid, and the port's single run's norm is the repeated runs' one.
        Assert.Single(cResults.Concat(csResults).Select(r => r["grid"]).Distinct());
        Assert.All(csResults, r => Assert.Equal("0", r["allocated_bytes"]));
        string report = Assert.Single(csJob.LinesStartingWith("RESULT class="));
        Assert.Contains("rnm2=" + csResults[1]["rnm2"] + " ", report);
    }
}
