using System.Runtime.CompilerServices;
using Mitten.Protocol;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// The collective count of a channel lives in its <see cref="MittenCommunicator"/> once it has
/// one (a collective counts itself there): the protocol's reads and writes through
/// <see cref="Channel.Collectives"/> and the application's increments must see one number,
/// including the count a restored channel had before the program asked for its communicator
/// (no MPI needed; the migrations themselves are covered by <see cref="DerivedCommunicatorTests"/>).
/// </summary>
public class ChannelCollectiveCountTests
{
    /// <summary>A communicator object without a session: only its count and cache are used here.</summary>
    private static MittenCommunicator Facade() => (MittenCommunicator)RuntimeHelpers.GetUninitializedObject(typeof(MittenCommunicator));

    [Fact]
    public void A_count_set_before_the_communicator_exists_is_taken_over_and_both_sides_see_every_increment()
    {
        // As a replacement restores a derived channel: the count arrives before the facade.
        var channel = new Channel(3, null, null!, "0.1:0");
        channel.Collectives = 41;
        channel.Collectives++; // e.g. a split counted on the parent before the program asks for it
        Assert.Equal(42, channel.Collectives);

        MittenCommunicator facade = Facade();
        channel.Facade = facade;
        Assert.Equal(42, facade.CollectiveCount);
        Assert.Equal(42, channel.Collectives);

        facade.CollectiveCount++; // what a collective of the application does
        Assert.Equal(43, channel.Collectives);
        channel.Collectives++; // what a non-blocking collective or a split does
        Assert.Equal(44, facade.CollectiveCount);
        channel.Collectives = 7; // a restart sets it
        Assert.Equal(7, facade.CollectiveCount);

        // Setting the same facade again (a rebuild keeps it) keeps the count.
        channel.Facade = facade;
        Assert.Equal(7, channel.Collectives);
    }
}
