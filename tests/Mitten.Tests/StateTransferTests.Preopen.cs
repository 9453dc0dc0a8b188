using System.Globalization;
using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The spare's state ring opened ahead by the moving rank (src/Mitten/Protocol/StateRing.Preopen.cs):
/// with MITTEN_STATE_RING_PREOPEN=1 the sender claims the ring it opened and touched at its stop, and
/// the state still arrives bit-identical in the spare's ring; with 0 (the default) nothing is opened
/// ahead and the ring is found after the take, as before.
/// </summary>
public partial class StateTransferTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void The_moving_rank_claims_the_spares_ring_it_opened_ahead_and_the_state_arrives_identical(string preopen)
    {
        var (job, _) = RunPayloadThroughSparesRing(new Dictionary<string, string> { ["MITTEN_STATE_RING_PREOPEN"] = preopen });
        Match opened = Regex.Match(job.Stderr, @"r1 pid\d+\] state sender opened in [\d.]+ ms \(ring opened ahead in (-?[\d.]+) ms, (used|not used)\)");
        Assert.True(opened.Success, job.Describe());
        if (preopen == "1")
        {
            Assert.True(double.Parse(opened.Groups[1].Value, CultureInfo.InvariantCulture) >= 0, job.Describe());
            Assert.Equal("used", opened.Groups[2].Value);
        }
        else
        {
            Assert.Equal("-1.00", opened.Groups[1].Value);
            Assert.Equal("not used", opened.Groups[2].Value);
        }
    }
}
