using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The start-up warm-up's drain exercise (GroupProtocol.ExerciseDrainBookkeeping, jit18) must not
/// act on the application's requests: called with a send and a receive outstanding it leaves
/// both as they were (MittenDriver's warmup-guard scenario: the records' states and handles
/// compared before and after, then both requests complete with the right data).
/// </summary>
public partial class MigrationTests
{
    [Fact]
    public void The_start_up_drain_exercise_does_nothing_while_an_application_request_is_live()
    {
        var job = Run(3, "warmup-guard");
        JobAssert.Clean(job, 3 + 7 + 2);
        JobAssert.OkOnRanks(job, "warm-drain-on", 3);
        foreach (string name in new[] { "guard-same-live-requests", "guard-two-live-requests", "guard-request-0-untouched", "guard-request-1-untouched",
                     "reply-received", "no-live-request-left", "exercise-left-nothing-live" })
        {
            Assert.Contains($"CHECK {name} ok rank=0", job.Stdout);
        }
        Assert.Contains("CHECK payload-received ok rank=1", job.Stdout);
        Assert.Contains("CHECK nothing-else-sent ok rank=1", job.Stdout);
    }
}
