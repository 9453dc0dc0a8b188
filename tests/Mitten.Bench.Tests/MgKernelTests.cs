using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The C baseline of MG (bench/native/mg.c, what <c>scripts/bench.sh mgkernel</c> compares the
/// C# port with) does the port's arithmetic: built as the benchmark builds it, both verify and
/// give the same final norms, bit for bit, in every repetition of a job, on 1 and 2 processes;
/// the C# port allocates nothing in its timed iterations and prints its report once.
/// </summary>
public partial class MgKernelTests
{
    private static string CsharpProgram => Path.Combine(MpiJob.RepositoryRoot, "bench", "MG", "bin", MpiJob.Configuration, "net10.0", "MG");

    private static readonly Lazy<string?> CProgram = new(BuildCBaseline);

    /// <summary>Compiles bench/native/mg.c with the benchmark's flags (null when mpicc is missing).</summary>
    private static string? BuildCBaseline()
    {
        string output = Path.Combine(Path.GetTempPath(), $"mitten-mg-c-{Environment.ProcessId}");
        var psi = new ProcessStartInfo("mpicc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-O3", "-march=native", "-ffp-contract=off", "-o", output,
                     Path.Combine(MpiJob.RepositoryRoot, "bench", "native", "mg.c"), "-lm" })
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using Process process = Process.Start(psi)!;
            string errors = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(120_000))
            {
                process.Kill();
                throw new TimeoutException("mpicc did not finish in 120 s");
            }
            Assert.True(process.ExitCode == 0, "mpicc failed: " + errors);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        return output;
    }

    private static List<Dictionary<string, string>> Results(MpiJob job, string impl) =>
        job.LinesStartingWith("RESULT impl=" + impl + " ")
            .Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();

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

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();
}
