using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Completion of one of, some of, or all of a set of requests (MPI_Waitany, Waitsome,
/// Testany, Testall). Spent requests are skipped, like MPI_REQUEST_NULL. While a set is waited
/// for and a synchronization is announced, the process takes part in it through one of the
/// set's requests (a receive if there is one); the drain parks and reposts the others as usual.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Index of a completed request (now spent), or -1 when none is live.</summary>
    internal int WaitAny(ReadOnlySpan<MittenRequest> requests, out ReceiveStatus status)
    {
        int spins = 0;
        while (true)
        {
            int representative = -1;
            for (int i = 0; i < requests.Length; i++)
            {
                MittenRequest request = requests[i];
                if (!IsLiveHere(request))
                {
                    continue;
                }
                if (Test(request.Slot, request.Generation, out status))
                {
                    return i;
                }
                representative = Representative(requests, representative, i);
            }
            if (representative < 0)
            {
                status = RequestTable.EmptyStatus;
                return -1;
            }
            AwaitProgress(requests[representative], ref spins);
        }
    }

    /// <summary>
    /// Waits until at least one request completes; writes the indices and statuses of every
    /// completed one (now spent) and returns their number, or -1 when none is live.
    /// </summary>
    internal int WaitSome(ReadOnlySpan<MittenRequest> requests, Span<int> indices, Span<ReceiveStatus> statuses)
    {
        int spins = 0;
        while (true)
        {
            int representative = -1, completed = 0;
            for (int i = 0; i < requests.Length; i++)
            {
                MittenRequest request = requests[i];
                if (!IsLiveHere(request))
                {
                    continue;
                }
                if (Test(request.Slot, request.Generation, out ReceiveStatus status))
                {
                    indices[completed] = i;
                    statuses[completed] = status;
                    completed++;
                    continue;
                }
                representative = Representative(requests, representative, i);
            }
            if (completed > 0)
            {
                return completed;
            }
            if (representative < 0)
            {
                return -1;
            }
            AwaitProgress(requests[representative], ref spins);
        }
    }

    /// <summary>One pass: true with the index of a completed request (now spent), or with -1 when none is live.</summary>
    internal bool TestAny(ReadOnlySpan<MittenRequest> requests, out int index, out ReceiveStatus status)
    {
        bool anyLive = false;
        for (int i = 0; i < requests.Length; i++)
        {
            MittenRequest request = requests[i];
            if (!IsLiveHere(request))
            {
                continue;
            }
            anyLive = true;
            if (Test(request.Slot, request.Generation, out status))
            {
                index = i;
                return true;
            }
        }
        index = -1;
        status = anyLive ? default : RequestTable.EmptyStatus;
        return !anyLive;
    }

    /// <summary>
    /// One pass: true when every request has completed (then all are spent and their statuses
    /// written); false leaves every request live, as MPI_Testall does.
    /// </summary>
    internal bool TestAll(ReadOnlySpan<MittenRequest> requests, Span<ReceiveStatus> statuses)
    {
        bool all = true;
        for (int i = 0; i < requests.Length; i++)
        {
            MittenRequest request = requests[i];
            if (!IsLiveHere(request))
            {
                continue;
            }
            ref RequestRecord record = ref Requests.Records[request.Slot];
            if (record.State == RequestState.Active && record.Handle.Test(out Status status))
            {
                OnMpiCompletion(ref record, status); // done but not retired: the request stays live
            }
            all &= record.State == RequestState.Done;
        }
        if (!all)
        {
            return false;
        }
        for (int i = 0; i < requests.Length; i++)
        {
            MittenRequest request = requests[i];
            ReceiveStatus status = RequestTable.EmptyStatus;
            if (IsLiveHere(request))
            {
                Test(request.Slot, request.Generation, out status);
            }
            if (i < statuses.Length)
            {
                statuses[i] = status;
            }
        }
        return true;
    }

    private bool IsLiveHere(MittenRequest request)
    {
        if (request.Protocol is null)
        {
            return false;
        }
        if (request.Protocol != this)
        {
            throw new ArgumentException("the requests belong to different sessions", nameof(request));
        }
        return Requests.IsLive(request.Slot, request.Generation);
    }

    /// <summary>The request through which a wait takes part in a synchronization: the first receive, else the first live request.</summary>
    private int Representative(ReadOnlySpan<MittenRequest> requests, int current, int candidate)
    {
        if (current < 0)
        {
            return candidate;
        }
        bool currentIsReceive = Requests.Records[requests[current].Slot].IsReceive;
        return !currentIsReceive && Requests.Records[requests[candidate].Slot].IsReceive ? candidate : current;
    }

    /// <summary>
    /// Nothing completed in this pass: spin (yielding after a while) while no synchronization is
    /// announced; once one is, take part in it through <paramref name="request"/>'s polled wait. A
    /// receive returns after the synchronization (posted again on the new group); a send returns
    /// when it completes (after a proceeded synchronization its receiver drained it).
    /// </summary>
    private void AwaitProgress(MittenRequest request, ref int spins)
    {
        if (!window.SyncFlagSeen)
        {
            if (++spins > FastPolls)
            {
                Thread.Yield(); // ranks may share cores (oversubscription)
            }
            return;
        }
        ref RequestRecord record = ref Requests.Records[request.Slot];
        if (record.State == RequestState.Parked)
        {
            Post(ref record);
            return;
        }
        if (record.State != RequestState.Active)
        {
            return;
        }
        if (WaitPolled(record.Channel!, ref record.Handle, record.IsReceive ? BlockedOperation.Receive : BlockedOperation.Send,
                record.Peer, record.Tag, out Status status, request.Slot) == WaitResult.Completed && record.State == RequestState.Active)
        {
            OnMpiCompletion(ref record, status);
        }
    }
}
