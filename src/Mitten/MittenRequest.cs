using System.Runtime.CompilerServices;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// A non-blocking send (<see cref="MittenCommunicator.Isend{T}"/>) or receive
/// (<see cref="MittenCommunicator.Irecv{T}"/>) in progress: a small value naming an entry of
/// the session's request table, so starting and completing a request allocates nothing. Its
/// buffer stays pinned until it completes. Complete it with <see cref="Wait"/> (which takes
/// part in a migration that happens meanwhile) or poll it with <see cref="Test"/>. Once it has
/// been found complete, the value is spent: waiting on it again returns at once with an empty
/// status, like MPI_REQUEST_NULL (so does <c>default(MittenRequest)</c>).
/// </summary>
/// <remarks>
/// Across a migration of another rank: an outstanding send is completed by its receiver's
/// drain; an outstanding receive is cancelled before the drain and posted again on the new
/// group, looking at the drained messages first, in the order the receives were started, so
/// it gets exactly the message it would have got. A request does not travel with a migrating
/// rank: the migrating rank must have waited for its receives before its migration point (the
/// migration is rolled back otherwise, with that reason); its unfinished sends are completed
/// by the drain.
/// </remarks>
public readonly struct MittenRequest : IEquatable<MittenRequest>
{
    private readonly GroupProtocol? protocol;
    private readonly int slot;
    private readonly int generation;

    internal MittenRequest(GroupProtocol protocol, int slot, int generation)
    {
        this.protocol = protocol;
        this.slot = slot;
        this.generation = generation;
    }

    internal GroupProtocol? Protocol => protocol;
    internal int Slot => slot;
    internal int Generation => generation;

    /// <summary>Whether the request has been found complete (by <see cref="Wait"/> or <see cref="Test"/>), or is empty.</summary>
    public bool IsCompleted => protocol is null || !protocol.Requests.IsLive(slot, generation);

    /// <summary>
    /// Waits until the operation completes, taking part in a migration if one happens
    /// meanwhile. For a receive, returns what arrived; for a send (or a spent request), a status
    /// with source -1.
    /// </summary>
    /// <exception cref="MessageTruncatedException">A receive got a message larger than its buffer (the request is spent).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReceiveStatus Wait()
    {
        if (protocol is null)
        {
            return RequestTable.EmptyStatus;
        }
        return protocol.Wait(slot, generation); // raises an MPI error as RetireFailed makes it (no exception frame here)
    }

    /// <summary>
    /// Whether the operation has completed, without blocking; <paramref name="status"/> is what
    /// <see cref="Wait"/> would return. Polling only this, with no migration point and no
    /// blocking call in between, delays a migration until the loop ends; prefer <see cref="Wait"/>.
    /// </summary>
    public bool Test(out ReceiveStatus status)
    {
        if (protocol is null)
        {
            status = RequestTable.EmptyStatus;
            return true;
        }
        try
        {
            return protocol.Test(slot, generation, out status);
        }
        catch (MpiException e)
        {
            throw protocol.RetireFailed(slot, generation, e);
        }
    }

    /// <summary>Waits for every request, in order.</summary>
    public static void WaitAll(IEnumerable<MittenRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        foreach (MittenRequest request in requests)
        {
            request.Wait();
        }
    }

    /// <summary>Waits for every request, in order.</summary>
    public static void WaitAll(params ReadOnlySpan<MittenRequest> requests)
    {
        foreach (MittenRequest request in requests)
        {
            request.Wait();
        }
    }

    /// <summary>
    /// Waits until one of the requests completes (taking part in a migration meanwhile) and
    /// returns its index; that request is then spent. Spent and empty requests are skipped;
    /// -1 (with a status of source -1) when none is live, like MPI_UNDEFINED.
    /// </summary>
    public static int WaitAny(ReadOnlySpan<MittenRequest> requests, out ReceiveStatus status)
    {
        GroupProtocol? protocol = ProtocolOf(requests);
        if (protocol is null)
        {
            status = RequestTable.EmptyStatus;
            return -1;
        }
        return protocol.WaitAny(requests, out status);
    }

    /// <summary>
    /// Waits until at least one request completes; writes the index and status of every request
    /// found complete (now spent) to <paramref name="indices"/> and <paramref name="statuses"/>
    /// (each at least as long as <paramref name="requests"/>) and returns how many, or -1 when
    /// none is live.
    /// </summary>
    public static int WaitSome(ReadOnlySpan<MittenRequest> requests, Span<int> indices, Span<ReceiveStatus> statuses)
    {
        if (indices.Length < requests.Length || statuses.Length < requests.Length)
        {
            throw new ArgumentException("indices and statuses must be at least as long as requests");
        }
        GroupProtocol? protocol = ProtocolOf(requests);
        return protocol is null ? -1 : protocol.WaitSome(requests, indices, statuses);
    }

    /// <summary>
    /// Without blocking: true with the <paramref name="index"/> of a completed request (now
    /// spent); false when none has completed; true with index -1 when none is live (MPI_Testany).
    /// </summary>
    public static bool TestAny(ReadOnlySpan<MittenRequest> requests, out int index, out ReceiveStatus status)
    {
        GroupProtocol? protocol = ProtocolOf(requests);
        if (protocol is null)
        {
            index = -1;
            status = RequestTable.EmptyStatus;
            return true;
        }
        return protocol.TestAny(requests, out index, out status);
    }

    /// <summary>
    /// Without blocking: true when every request has completed (all are then spent, and
    /// <paramref name="statuses"/>, if long enough, gets each one's status); false leaves every
    /// request live, including those that have completed meanwhile (MPI_Testall).
    /// </summary>
    public static bool TestAll(ReadOnlySpan<MittenRequest> requests, Span<ReceiveStatus> statuses = default)
    {
        GroupProtocol? protocol = ProtocolOf(requests);
        if (protocol is null)
        {
            statuses[..Math.Min(statuses.Length, requests.Length)].Fill(RequestTable.EmptyStatus);
            return true;
        }
        return protocol.TestAll(requests, statuses);
    }

    private static GroupProtocol? ProtocolOf(ReadOnlySpan<MittenRequest> requests)
    {
        foreach (MittenRequest request in requests)
        {
            if (request.protocol is not null)
            {
                return request.protocol;
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public bool Equals(MittenRequest other) => protocol == other.protocol && slot == other.slot && generation == other.generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MittenRequest other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(slot, generation);

    /// <summary>Whether both name the same request.</summary>
    public static bool operator ==(MittenRequest left, MittenRequest right) => left.Equals(right);

    /// <summary>Whether they name different requests.</summary>
    public static bool operator !=(MittenRequest left, MittenRequest right) => !left.Equals(right);
}
