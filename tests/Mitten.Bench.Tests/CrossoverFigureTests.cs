using System.Globalization;
using System.Text;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The overhead benchmark's IS and MG figure (<c>crossover_figure</c> in
/// <c>bench/Mitten/figures.sh</c>): from the iteration pairs of an interleaved comparison it must
/// recover the variants' true time ratio when the pair's first iteration is slower or faster than
/// its second and when one state is faster than the other, which is what the benchmark's
/// alternation of order and layout is for. The data is made here with a known answer.
/// </summary>
public class CrossoverFigureTests
{
    /// <summary>
    /// Times as <c>IS --compare --interleave</c> makes them: per repetition the layout alternates,
    /// per pair the order alternates (plain first when repetition + iteration is even); the
    /// second variant costs <paramref name="trueRatio"/> times plain, the first iteration of a pair
    /// <paramref name="firstFactor"/> times the second, state 1 <paramref name="stateFactor"/>
    /// times state 0, and each time carries up to ±<paramref name="noise"/> of seeded noise.
    /// </summary>
    private static string Pairs(double trueRatio, double firstFactor, double stateFactor, double noise, int repeats = 100, int iterations = 10)
    {
        var random = new Random(21);
        var lines = new StringBuilder();
        for (int r = 1; r <= repeats; r++)
        {
            int layout = r % 2;
            for (int i = 0; i < iterations; i++)
            {
                bool plainFirst = (r + i) % 2 == 0;
                double Time(bool plain)
                {
                    int state = plain ? layout : 1 - layout;
                    double t = 0.002 * (plain ? 1.0 : trueRatio) * (state == 1 ? stateFactor : 1.0) * (plain == plainFirst ? firstFactor : 1.0);
                    return t * (1 + noise * (2 * random.NextDouble() - 1));
                }
                double plainTime = Time(plain: true), otherTime = Time(plain: false);
                lines.Append(CultureInfo.InvariantCulture, $"{r},{i + 1},{layout},{plainTime:F9},{otherTime:F9}\n");
            }
        }
        return lines.ToString();
    }

    private static async Task<double[]> CrossoverFigure(string input)
    {
        (int exitCode, string stdout, string errors) = await BashRun.Run("crossover_figure",
            ["-c", "set -euo pipefail; . bench/Mitten/figures.sh; crossover_figure"], input, workingDirectory: MpiJob.RepositoryRoot);
        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        return stdout.Trim().Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    [Theory]
    [InlineData(1.00, 1.15, 1.08)] // the pair's first iteration 15 % slower, state 1 8 % slower
    [InlineData(1.00, 0.85, 0.95)] // the first iteration faster, state 1 faster
    [InlineData(1.02, 1.20, 1.10)] // a real 2 % under both
    [InlineData(0.99, 1.00, 1.00)] // neither effect
    public async Task Recovers_the_true_ratio_whatever_the_order_and_the_state_add(double trueRatio, double firstFactor, double stateFactor)
    {
        double[] exact = await CrossoverFigure(Pairs(trueRatio, firstFactor, stateFactor, noise: 0));
        Assert.Equal(4, exact.Length);
        Assert.Equal(trueRatio, exact[0], 4);

        double[] noisy = await CrossoverFigure(Pairs(trueRatio, firstFactor, stateFactor, noise: 0.05));
        Assert.InRange(noisy[0], trueRatio - 0.004, trueRatio + 0.004);
    }

    [Fact]
    public async Task A_block_missing_a_pair_is_left_out()
    {
        // 3 iterations: the third pair has no partner, and its order (always the same variant
        // first within a layout here) would move each layout's median halfway to the order effect.
        double[] figure = await CrossoverFigure(Pairs(1.0, firstFactor: 1.5, stateFactor: 1.0, noise: 0, iterations: 3));
        Assert.Equal(1.0, figure[0], 4);
    }

    [Fact]
    public async Task The_estimate_used_before_session_21_is_reported_beside_it()
    {
        // The last field is the geometric mean of the two layouts' median per-pair ratios: without
        // noise and with no order effect, the true ratio as well.
        double[] figure = await CrossoverFigure(Pairs(1.03, firstFactor: 1.0, stateFactor: 1.2, noise: 0));
        Assert.Equal(1.03, figure[0], 4);
        Assert.Equal(1.03, figure[3], 4);
        Assert.Equal(1.03 * 1.2, figure[1], 3); // layout 0: plain on state 0, the second variant on the slower state 1
        Assert.Equal(1.03 / 1.2, figure[2], 3);
    }
}
