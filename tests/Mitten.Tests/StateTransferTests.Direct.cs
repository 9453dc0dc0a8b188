using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// A spare names its prepared state ring in its TAKE answer and reads it from its own mapping;
/// the moving rank and the spare free their pool-made intercommunicator after COMMIT instead of
/// disconnecting it (docs/PROTOCOL.md, "The state transfer" and step 6).
/// </summary>
public partial class StateTransferTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void The_spare_names_its_ring_in_the_take_answer_and_the_state_arrives_identical(string direct)
    {
        var (job, _) = RunPayloadThroughSparesRing(new Dictionary<string, string>
        {
            ["MITTEN_STATE_RING_DIRECT"] = direct,
            ["MITTEN_POOL_INTERCOMM_FREE"] = direct,
        });
        Match transport = Regex.Match(job.Stderr, @"r1 pid\d+\] state transport: .* ring named (True|False)");
        Assert.True(transport.Success, job.Describe());
        Assert.Equal(direct == "1" ? "True" : "False", transport.Groups[1].Value);
        // The spare's intercommunicator was made over its pool here (prepared or not): freed with the switch on, disconnected off.
        Assert.Matches(@"commit path: (prepared group|MPI_Comm_create_group over the spare pool)", job.Stderr);
        Assert.Contains(direct == "1" ? "replacement: resuming (COMMIT echoed after the resume)" : "replacement: disconnected", job.Stderr);
        if (direct == "1")
        {
            Assert.Contains("commit step: the replacement echoed COMMIT (resumed)", job.Stderr); // the old process waited for the echo
        }
    }
}
