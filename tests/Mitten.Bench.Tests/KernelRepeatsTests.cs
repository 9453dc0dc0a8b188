using System.Diagnostics;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// How many runs a job of <c>scripts/bench.sh iskernel</c> / <c>mgkernel</c> makes
/// (<c>kernel_repeats</c> in <c>scripts/bench/kernels.sh</c>): by default 21 at class S, whose runs
/// take milliseconds, and 3 at the larger classes; <c>--repeats R</c> sets every class.
/// </summary>
public class KernelRepeatsTests
{
    [Theory]
    [InlineData("auto", "S", "21")]
    [InlineData("auto", "W", "3")]
    [InlineData("auto", "C", "3")]
    [InlineData("5", "S", "5")]
    [InlineData("1", "A", "1")]
    public async Task Runs_per_job(string repeatsOption, string className, string expected)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = MpiJob.RepositoryRoot };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("set -euo pipefail; . scripts/bench/kernels.sh; kernel_repeats \"$1\" \"$2\"");
        psi.ArgumentList.Add("kernel_repeats");
        psi.ArgumentList.Add(repeatsOption);
        psi.ArgumentList.Add(className);
        using var process = Process.Start(psi)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("bash did not finish kernel_repeats within 60 s");
            }
        }
        Assert.True(process.ExitCode == 0, $"bash exited {process.ExitCode}: {await errors}");
        Assert.Equal(expected, (await output).Trim());
    }
}
