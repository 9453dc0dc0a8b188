using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The fault matrix for the lean commit (MITTEN_LEAN_COMMIT, docs/PROTOCOL.md step 5, "Lean
/// commit"): after DECISION(commit) a lost participant still ends the job with one message within
/// the commit limit; with the old window freed late (2) that includes the moved rank lost after
/// COMMIT (step "committed"), which the staying ranks wait for in that free.
/// </summary>
public partial class FaultTests
{
    [Theory]
    [InlineData("1", "2:decided:stop", "rank 1 is lost: connecting to the replacement of rank 1 did not finish within 6 s|a participant is lost: freeing the old group's window")]
    [InlineData("2", "2:decided:stop", "rank 1 is lost: connecting to the replacement of rank 1 did not finish within 6 s")]
    [InlineData("1", "1:decided:stop", "rank 1 is lost: connecting to the replacement of rank 1 did not finish within 6 s")]
    [InlineData("2", "1:decided:stop", "rank 1 is lost: freeing the old group's window with the moved rank 1 did not finish within 6 s")]
    [InlineData("2", "1:committed:stop", "rank 1 is lost: freeing the old group's window with the moved rank 1 did not finish within 6 s")]
    [InlineData("1", "replacement:restored:stop", "connecting to the replacement of rank 1 did not finish within 6 s")]
    [InlineData("2", "replacement:joined:kill", null)]
    public void A_participant_lost_in_a_lean_commit_ends_the_job_with_one_clear_message(string mode, string fault, string? message)
    {
        var job = Run(Scenario + " --migrate 1@2", new Dictionary<string, string> { ["MITTEN_LEAN_COMMIT"] = mode, ["MITTEN_TEST_FAULT"] = fault });
        JobEnded(job, message);
        if (message is not null)
        {
            Assert.Contains("the group cannot continue consistently, so the job is ended; no checkpoint was taken in this run", job.Stderr);
        }
    }

}
