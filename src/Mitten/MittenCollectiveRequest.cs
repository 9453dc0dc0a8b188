using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// A non-blocking collective in progress (<see cref="MittenCommunicator.Ibarrier"/>,
/// <see cref="MittenCommunicator.Ibcast{T}"/>, <see cref="MittenCommunicator.Iallreduce{T}"/>).
/// Its buffer stays pinned until it completes. <b>Rule:</b> complete it (<see cref="Wait"/>, or
/// <see cref="Test"/> until true) before the next migration point: a migration point reached
/// with one in progress throws <see cref="InvalidOperationException"/>, and a migration that
/// finds one in progress on a rank blocked between migration points is rolled back with that
/// reason. Why: the collective runs on the MPI communicator of the group before the migration,
/// which a migration replaces.
/// </summary>
public sealed class MittenCollectiveRequest
{
    private readonly GroupProtocol protocol;
    private readonly OutstandingCollective collective;

    internal MittenCollectiveRequest(GroupProtocol protocol, OutstandingCollective collective)
    {
        this.protocol = protocol;
        this.collective = collective;
    }

    /// <summary>Whether the collective has been found complete.</summary>
    public bool IsCompleted => collective.Done;

    /// <summary>Waits until the collective completes (its results are then in the buffers).</summary>
    public void Wait() => protocol.WaitCollective(collective);

    /// <summary>Whether the collective has completed, without blocking.</summary>
    public bool Test() => protocol.TestCollective(collective);

    /// <summary>Waits for every request, in order.</summary>
    public static void WaitAll(params ReadOnlySpan<MittenCollectiveRequest> requests)
    {
        foreach (MittenCollectiveRequest request in requests)
        {
            request.Wait();
        }
    }
}
