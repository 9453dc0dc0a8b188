using Mitten.Protocol;

namespace Mitten.Tests.Drivers;

/// <summary>
/// The start-up warm-up's drain exercise (GroupProtocol.ExerciseDrainBookkeeping, run by
/// ProtocolWarmup.ExerciseMigrationPoint before the application starts) called while the
/// application has a send and a receive outstanding, as if it ran late: it must do nothing — no
/// receive cancelled or posted again, no send completed, every request record as it was — and
/// the requests then complete with the right data. Without its live-request guard the send's
/// record is Done (waited for) and the receive's handle a new one (cancelled and posted again).
/// Then the same call with nothing outstanding runs (the start-up case) and leaves no record.
/// Two ranks; rank 0 holds the requests, rank 1 receives the send and answers the receive.
/// </summary>
internal static class WarmupGuardScenario
{
    private const int SendTag = 31, ReplyTag = 32;

    /// <summary>Rendezvous-sized (not eager), so only a matching receive completes the send.</summary>
    private const int SendLength = 1 << 18;

    internal static int Run(DriverOptions options)
    {
        using var session = Mitten.MittenSession<BlockedState>.Start(() => new BlockedState(), BlockedState.Codec);
        var comm = session.Communicator;
        GroupProtocol protocol = session.Protocol;
        Check.That("warm-drain-on", GroupProtocol.WarmDrain, "MITTEN_WARM_DRAIN=0: the exercise would not run at all");
        session.MigrationPoint();
        if (comm.Rank == 0)
        {
            double[] payload = Enumerable.Range(0, SendLength).Select(i => i * 0.5).ToArray();
            long[] reply = new long[4];
            var send = comm.Isend<double>(payload, 1, SendTag);
            var receive = comm.Irecv<long>(reply, 1, ReplyTag);
            comm.Barrier(); // rank 1 has posted the send's receive: a drain's wait would now complete the send
            int[] live = protocol.Requests.LiveInStartOrder();
            var before = live.Select(slot => Snapshot(protocol.Requests, slot)).ToArray();
            protocol.ExerciseDrainBookkeeping();
            int[] liveAfter = protocol.Requests.LiveInStartOrder();
            Check.Sequence("guard-same-live-requests", live, liveAfter);
            Check.Equal("guard-two-live-requests", 2, live.Length);
            var after = liveAfter.Select(slot => Snapshot(protocol.Requests, slot)).ToArray();
            for (int i = 0; i < Math.Min(before.Length, after.Length); i++)
            {
                Check.That($"guard-request-{i}-untouched", before[i] == after[i], $"before {before[i]}, after {after[i]}");
            }
            comm.Barrier(); // now rank 1 answers
            send.Wait();
            receive.Wait();
            Check.Sequence("reply-received", new long[] { 7, 8, 9, 10 }, reply);
            Check.Equal("no-live-request-left", 0, protocol.Requests.LiveInStartOrder().Length);
            protocol.ExerciseDrainBookkeeping(); // the start-up case: nothing live, it runs
            Check.Equal("exercise-left-nothing-live", 0, protocol.Requests.LiveInStartOrder().Length);
        }
        else if (comm.Rank == 1)
        {
            double[] received = new double[SendLength];
            var receive = comm.Irecv<double>(received, 0, SendTag);
            comm.Barrier();
            comm.Barrier();
            comm.Send<long>(new long[] { 7, 8, 9, 10 }, 0, ReplyTag);
            receive.Wait();
            Check.That("payload-received", received.Select((v, i) => v == i * 0.5).All(x => x), "payload differs");
            Check.That("nothing-else-sent", !comm.Iprobe<byte>(0, Mitten.MittenCommunicator.AnyTag, out _), "a message rank 0 did not send is waiting");
        }
        else
        {
            comm.Barrier();
            comm.Barrier();
        }
        comm.Barrier();
        session.MigrationPoint();
        session.Finish();
        return Check.Failures == 0 ? 0 : 1;
    }

    /// <summary>What a drain would change in a request's record: its state and its MPI handle.</summary>
    private static (RequestState State, nint Handle, bool IsReceive) Snapshot(RequestTable table, int slot)
    {
        ref RequestRecord record = ref table.Records[slot];
        return (record.State, System.Runtime.CompilerServices.Unsafe.As<Mitten.GroupComm.RequestHandle, nint>(ref record.Handle), record.IsReceive);
    }
}
