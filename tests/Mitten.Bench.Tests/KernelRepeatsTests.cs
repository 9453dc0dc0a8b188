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
        (int exitCode, string output, string errors) = await BashRun.Run("kernel_repeats",
            ["-c", "set -euo pipefail; . scripts/bench/kernels.sh; kernel_repeats \"$1\" \"$2\"", "kernel_repeats", repeatsOption, className],
            workingDirectory: MpiJob.RepositoryRoot);
        Assert.True(exitCode == 0, $"bash exited {exitCode}: {errors}");
        Assert.Equal(expected, output.Trim());
    }
}
