using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// While a replacement is spawned (no warm spare), the staying ranks put the runtime's
/// tiered-compilation worker at nice 19 for their wait for DECISION and give it back afterwards
/// (JitWorkerPriority.cs, docs/PROTOCOL.md step 5.2); MITTEN_JIT_NICE=0 turns that off. The
/// trace says, per staying rank, how many workers it lowered.
/// </summary>
public partial class MigrationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    public void Staying_ranks_lower_the_tiered_compilation_worker_only_while_a_replacement_is_spawned(string? jitNice)
    {
        string program = MpiJob.Benchmark("IS");
        var environment = new Dictionary<string, string> { ["MITTEN_TRACE"] = "1" };
        if (jitNice is not null)
        {
            environment["MITTEN_JIT_NICE"] = jitNice;
        }
        var job = MpiJob.Run(4, program, ["--class", "S", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null, environment);
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        Assert.Contains("outcome=Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        var lowered = Regex.Matches(job.Stderr, @" r(\d+) pid\d+\] tiered-compilation workers at nice 19 while waiting for DECISION: (\d+)")
            .ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        // Every staying rank waited for DECISION through the hook; the moving rank does not wait there.
        Assert.True(lowered.Keys.Order().SequenceEqual([0, 2, 3]), $"ranks that traced the hook: {string.Join(",", lowered.Keys)}\n{job.Describe()}");
        if (jitNice == "0")
        {
            Assert.All(lowered.Values, count => Assert.Equal(0, count));
        }
        else
        {
            // The worker exists while start-up promotions are pending (each rank had one in every run tried).
            Assert.True(lowered.Values.Sum() >= 1, $"no staying rank found a tiered-compilation worker to lower\n{job.Describe()}");
        }
    }

    [Fact]
    public void Staying_ranks_leave_the_tiered_compilation_worker_alone_when_a_warm_spare_is_taken()
    {
        string program = MpiJob.Benchmark("IS");
        var job = MpiJob.Run(4, program, ["--class", "S", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_SPARES"] = "1" });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        Assert.Contains("spare_taken_ms=", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.DoesNotContain("tiered-compilation workers at nice 19", job.Stderr);
    }
}
