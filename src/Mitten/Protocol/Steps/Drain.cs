using System.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Step 4, the drain: after MIG_END(proceed) every process closes its channels with markers
/// (on the application communicator for the application's messages, on the control channel
/// for requests) and takes everything sent before them, so nothing sent in the old group is
/// still in flight when the group is changed; then the synchronization goes on by its mode.
/// </summary>
internal sealed partial class GroupProtocol
{
    private void DrainAndContinue(long publishSuperstep)
    {
        RequestHandle none = default;
        DrainAndContinue(publishSuperstep, ref none);
    }

    /// <summary>
    /// Drains, then: a checkpoint is written (every rank); the leader of a migration moves
    /// itself; the other ranks wait for its decision. <paramref name="parkedSend"/> is a send
    /// this process was blocked in (its receiver drains it).
    /// </summary>
    private void DrainAndContinue(long publishSuperstep, ref RequestHandle parkedSend)
    {
        SynchronizationSession session = sync!;
        long start = Stopwatch.GetTimestamp();
        session.DrainStarted = true;
        if (session.Mode == SyncMode.Migration && Rank != session.Leader)
        {
            // Before this rank's drain markers, so before the moving rank can decide (Steps/PreparedGroups.cs;
            // a rank that sent early markers stored it before them too).
            StagePreparedSupersteps(session.Leader, publishSuperstep);
        }
        // Early markers sent: the leader waits for nothing more from this drain (Steps/EarlyMarkers.cs).
        quietDrainSince = QuietAfterEarlyMarkers ? start : 0;
        // With early markers the control markers go out with the application markers, before any
        // wait (one scheduler turn of every rank, not two: docs/PROTOCOL.md step 4, "Why sending the
        // control markers early is correct"); without, after the application drain, as measured best there.
        DrainApplicationChannels(session, ref parkedSend);
        var controlDeadline = Deadline.After(ProtocolTimeouts.Step, "the control markers of the drain");
        if (EarlyMarkers)
        {
            AwaitControlMarkers(controlDeadline);
        }
        else
        {
            CloseControlChannel(session.Id, controlDeadline);
        }
        quietDrainSince = 0;
        session.ProtocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("drain", start);
        FaultInjection.At("drained", Rank);
        if (session.Mode == SyncMode.Checkpoint)
        {
            WriteCheckpointAndResume(session, publishSuperstep);
        }
        else if (Rank == session.Leader)
        {
            MigrateThisProcess(session);
        }
        else
        {
            JoinNewGroupOrResume(session, publishSuperstep);
        }
    }

    /// <summary>
    /// Every process sends an end marker to every peer on the application communicator, then
    /// takes everything each peer sent before its marker into the received-message-list.
    /// MPI's non-overtaking rule (same sender, same communicator, a receive that matches both)
    /// guarantees nothing sent before the marker is still on the way afterwards.
    /// </summary>
    private unsafe void DrainApplicationChannels(SynchronizationSession session, ref RequestHandle parkedSend)
    {
        // A posted wildcard-tag receive could take the markers; cancel every posted receive first.
        ParkOutstandingReceives();
        var deadline = Deadline.After(ProtocolTimeouts.Step, "the drain markers");
        // Every channel the application talks on (the group's and each derived one) is closed the
        // same way, independently: markers to every other member first, on all of them, then
        // each channel is emptied up to every member's marker.
        List<Channel> channels = LiveChannels();
        var markers = new RequestHandle[channels.Count][];
        for (int c = 0; c < channels.Count; c++)
        {
            Channel channel = channels[c];
            markers[c] = new RequestHandle[channel.Size];
            int early = session.EarlyMarkersSent ? channel.FromGroupRank(session.Leader) : -1; // sent when this rank stopped
            for (int peer = 0; peer < channel.Size; peer++)
            {
                if (peer != channel.Rank && peer != early)
                {
                    markers[c][peer] = RequestHandle.StartSend<byte>(channel.Communicator, null, 0, peer, ControlTag.DrainMarker);
                }
            }
        }
        // This rank sends nothing more on the control channel until the decision: with early
        // markers its control markers go now, so no peer's drain waits for this one's application drain.
        if (EarlyMarkers)
        {
            SendControlMarkers(session.Id);
        }
        foreach (Channel channel in channels)
        {
            DrainChannel(channel, deadline);
        }
        for (int c = 0; c < channels.Count; c++)
        {
            for (int peer = 0; peer < markers[c].Length; peer++)
            {
                WaitWithin(ref markers[c][peer], deadline, channels[c].ToGroupRank(peer));
            }
            channels[c].ResetMarkers();
        }
        WaitForEarlyMarkers(deadline);
        WaitWithin(ref parkedSend, deadline, -1); // its receiver drained it
        CompleteOutstandingSends(deadline);
    }

    /// <summary>
    /// Takes everything each member sent on <paramref name="channel"/> before its marker into the
    /// channel's received-message-list. MPI's non-overtaking rule (same sender, same communicator,
    /// a receive that matches both) guarantees nothing sent before the marker is still on the way.
    /// </summary>
    private void DrainChannel(Channel channel, Deadline deadline)
    {
        for (int peer = 0; peer < channel.Size; peer++)
        {
            if (peer != channel.Rank)
            {
                TakeUntilMarker(channel, peer, deadline);
            }
        }
    }

    /// <summary>Takes everything <paramref name="peer"/> sent on <paramref name="channel"/> before its marker into the channel's received-message-list.</summary>
    private void TakeUntilMarker(Channel channel, int peer, Deadline deadline)
    {
        Communicator communicator = channel.Communicator;
        while (!channel.MarkerSeen[peer])
        {
            if (!communicator.Iprobe(peer, Mpi.AnyTag, out Status status))
            {
                if (deadline.Expired)
                {
                    int lost = channel.ToGroupRank(peer);
                    EndJob(lost, $"rank {lost}'s drain marker{(channel.IsGroup ? "" : $" on derived communicator {channel.Key}")}: {deadline.Describe()}");
                }
                DrainPause();
                continue;
            }
            byte[] payload = new byte[status.GetCount<byte>()];
            communicator.Recv<byte>(payload, peer, status.Tag);
            if (status.Tag == ControlTag.DrainMarker)
            {
                channel.MarkerSeen[peer] = true;
            }
            else
            {
                channel.Received.Append(peer, status.Tag, payload);
            }
        }
    }

    /// <summary>
    /// Closes the control channel: a marker to every peer, then every control message until each
    /// peer's marker. A request sent on the channel before its sender's marker is therefore
    /// queued here (and moves with this rank, or is refused at the end) before the channel's
    /// communicator can be freed. <paramref name="syncId"/> 0 closes it at the end of the job.
    /// </summary>
    private void CloseControlChannel(long syncId, Deadline deadline)
    {
        SendControlMarkers(syncId);
        AwaitControlMarkers(deadline, syncId);
    }

    /// <summary>This rank's control markers of <paramref name="syncId"/> to every peer (with early markers, not the leader again).</summary>
    private void SendControlMarkers(long syncId)
    {
        if (syncId != 0 && sync!.EarlyMarkersSent)
        {
            var marker = new ControlMarker(syncId);
            for (int peer = 0; peer < Size; peer++)
            {
                if (peer != Rank && peer != sync.Leader) // the leader's went out when this rank stopped
                {
                    control.Send(marker, peer);
                }
            }
        }
        else
        {
            control.SendToAllBut(new ControlMarker(syncId), Rank);
        }
    }

    /// <summary>Takes control messages until every peer's control marker of the synchronization (<paramref name="syncId"/> 0: the job's end) is in.</summary>
    private void AwaitControlMarkers(Deadline deadline, long syncId = -1)
    {
        syncId = syncId < 0 ? sync!.Id : syncId;
        bool[] seen = syncId == 0 ? ClosingMarkers() : sync!.ControlMarkerSeen;
        seen[Rank] = true;
        PollControlUntil(() => Array.IndexOf(seen, false) < 0, deadline, () => Array.IndexOf(seen, false), "the control marker");
        if (syncId == 0)
        {
            closingMarkerSeen = [];
        }
    }

    /// <summary>
    /// Takes control messages through the one dispatcher (or <paramref name="take"/>, which sees
    /// each first and returns true for those it consumed) until <paramref name="done"/> holds;
    /// past <paramref name="deadline"/> the rank <paramref name="missing"/> names is lost.
    /// </summary>
    private void PollControlUntil(Func<bool> done, Deadline deadline, Func<int> missing, string awaited, Func<ControlMessage, int, bool>? take = null)
    {
        while (!done())
        {
            if (control.TryReceive(out ControlMessage message, out int source))
            {
                if (take is null || !take(message, source))
                {
                    OnControlMessage(message, source);
                }
            }
            else if (deadline.Expired)
            {
                int lost = missing();
                EndJob(lost, $"{awaited} from rank {lost} did not happen within {deadline.Limit.TotalSeconds:0.###} s");
            }
            else
            {
                DrainPause();
            }
        }
    }

    /// <summary>Waits for a started send (or a marker) to complete; past <paramref name="deadline"/> the peer is lost.</summary>
    private void WaitWithin(ref RequestHandle request, Deadline deadline, int peer)
    {
        while (!request.Test(out _))
        {
            if (deadline.Expired)
            {
                EndJob(peer, $"a send to rank {peer} completing: {deadline.Describe()}");
            }
            DrainPause();
        }
    }
}
