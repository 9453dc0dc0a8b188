using System.Diagnostics;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>The C baselines in bench/native, compiled as scripts/bench.sh compiles them, and their RESULT lines.</summary>
internal static partial class NativeBaseline
{
    /// <summary>
    /// Compiles bench/native/<paramref name="source"/> with mpicc, -O3 -march=native and
    /// <paramref name="flags"/>, into a temporary file; null when mpicc is missing.
    /// </summary>
    internal static string? Build(string source, params string[] flags)
    {
        string output = Path.Combine(Path.GetTempPath(), $"mitten-{Path.GetFileNameWithoutExtension(source)}-c-{Environment.ProcessId}");
        var psi = new ProcessStartInfo("mpicc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-O3", "-march=native" }.Concat(flags)
                     .Concat(["-o", output, Path.Combine(MpiJob.RepositoryRoot, "bench", "native", source), "-lm"]))
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

    /// <summary>The fields of the job's "RESULT impl=<paramref name="impl"/> ..." lines, one dictionary per line.</summary>
    internal static List<Dictionary<string, string>> Results(MpiJob job, string impl) =>
        job.LinesStartingWith("RESULT impl=" + impl + " ")
            .Select(l => Field().Matches(l).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)).ToList();

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();
}
