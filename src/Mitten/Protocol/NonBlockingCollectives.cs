using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// Non-blocking collectives (Ibarrier, Ibcast, Iallreduce). The rule: every one is completed
/// before the process's next migration point. A collective in progress names the MPI
/// communicator it started on; a migration replaces that communicator, so one still in progress
/// would span the old and the new group. Reaching a migration point with one in progress raises
/// an error at once (<see cref="ThrowCollectivesOutstanding"/>); a process blocked between
/// migration points with one in progress reports it, and the leader aborts the synchronization
/// with that reason (the migration is rolled back, nothing changes). Each one counts as a
/// collective of its communicator when it starts (every member starts it, in the same order).
/// </summary>
internal sealed partial class GroupProtocol
{
    private readonly List<OutstandingCollective> outstandingCollectives = [];

    internal MittenCollectiveRequest StartCollective(Channel channel, Request request, string name)
    {
        channel.Collectives++;
        var started = new OutstandingCollective(channel, request, name);
        outstandingCollectives.Add(started);
        return new MittenCollectiveRequest(this, started);
    }

    /// <summary>Polls the collective; once complete it no longer counts as in progress.</summary>
    internal bool TestCollective(OutstandingCollective collective)
    {
        if (collective.Done)
        {
            return true;
        }
        if (!collective.Request.Test(out _))
        {
            return false;
        }
        collective.Done = true;
        outstandingCollectives.Remove(collective);
        return true;
    }

    /// <summary>
    /// Waits for the collective, polling (and yielding, as ranks may share cores). Like a blocking
    /// collective, the wait does not answer a synchronization: every member starts the collective
    /// before its next migration point (the rule), so it completes without one.
    /// </summary>
    internal void WaitCollective(OutstandingCollective collective)
    {
        int spins = 0;
        while (!TestCollective(collective))
        {
            if (++spins > FastPolls)
            {
                Thread.Yield();
            }
        }
    }

    private void ThrowCollectivesOutstanding()
    {
        string names = string.Join(", ", outstandingCollectives.Select(c => c.Name));
        throw new InvalidOperationException(
            $"rank {Rank} reached a migration point with {outstandingCollectives.Count} non-blocking collective(s) in progress ({names}): " +
            "complete every Ibarrier, Ibcast and Iallreduce (Wait, or Test until true) before the next migration point; " +
            "a collective in progress cannot span the group before and after a migration");
    }
}

/// <summary>A non-blocking collective the program started and has not seen complete.</summary>
internal sealed class OutstandingCollective(Channel channel, Request request, string name)
{
    internal Channel Channel { get; } = channel;
    internal Request Request { get; } = request;
    internal string Name { get; } = name;
    internal bool Done { get; set; }
}
