using System.Globalization;

namespace Mitten.Bench.Soak;

/// <summary>An <c>Isend</c> left outstanding across the next migration point (the drain completes it if a migration happens).</summary>
internal sealed record CarriedSend(MittenRequest Request, byte[] Buffer);

/// <summary>
/// One rank's point-to-point part of an iteration. The order makes every style deadlock-free:
/// (1) post the non-blocking receives, (2) start the Isends, (3) the blocking Sends (their
/// receivers pre-posted in step 1), (4) the blocking Recvs (their senders used Isend in step 2),
/// (5) complete the rest with Wait, WaitAll or Test. Each receive is checked against the exact
/// message the plan says it gets.
/// </summary>
internal sealed class Exchange(MittenCommunicator comm, SoakShape shape, SoakState state, SoakLog log)
{
    private readonly int me = comm.Rank;
    private byte[] scratch = new byte[4096];

    /// <summary>Runs the point-to-point part of <paramref name="plan"/>; fills <paramref name="receivedHashes"/> (by message index).</summary>
    public void Run(IterationPlan plan, ulong[] receivedHashes, List<CarriedSend> carried)
    {
        // Expected sequence numbers: each sender numbers its messages to a receiver in its send order.
        var expectedSequence = new Dictionary<int, long>();
        var perSource = new long[comm.Size];
        for (int source = 0; source < comm.Size; source++)
        {
            foreach (PlannedMessage m in plan.SendOrder(source))
            {
                if (m.Destination == me)
                {
                    expectedSequence[m.Index] = state.ReceivedSequence[source] + perSource[source]++;
                }
            }
        }
        var completed = new HashSet<int>();
        var pending = new List<(MittenRequest Request, PlannedMessage? Receive, byte[] Buffer)>();

        log.Progress(plan.Iteration, "post-irecv");
        foreach (PlannedMessage m in plan.Messages)
        {
            if (m.Destination == me && !m.BlockingReceive)
            {
                byte[] buffer = new byte[m.Bytes];
                pending.Add((comm.Irecv<byte>(buffer, m.ReceiveSource, m.ReceiveTag), m, buffer));
            }
        }
        log.Progress(plan.Iteration, "isend");
        foreach (PlannedMessage m in plan.SendOrder(me))
        {
            byte[] buffer = new byte[m.Bytes];
            long sequence = state.SentSequence[m.Destination]++;
            Payload.Fill(buffer, shape.Seed, me, m.Destination, sequence, plan.Iteration);
            if (m.Send == SendStyle.Isend)
            {
                MittenRequest request = comm.Isend<byte>(buffer, m.Destination, m.Tag);
                if (m.CarriedSend)
                {
                    carried.Add(new CarriedSend(request, buffer));
                }
                else
                {
                    pending.Add((request, null, buffer));
                }
            }
            else
            {
                log.Progress(plan.Iteration, $"send to {m.Destination} tag {m.Tag} bytes {m.Bytes}");
                comm.Send<byte>(buffer, m.Destination, m.Tag);
            }
        }
        foreach (PlannedMessage m in plan.Messages)
        {
            if (m.Destination == me && m.BlockingReceive)
            {
                log.Progress(plan.Iteration, $"recv {m.Receive} from {m.Source} tag {m.Tag} bytes {m.Bytes}");
                byte[] buffer = new byte[m.Bytes];
                ReceiveStatus status = comm.Recv<byte>(buffer, m.ReceiveSource, m.ReceiveTag);
                Check(plan, m, expectedSequence[m.Index], buffer, status, completed, receivedHashes);
            }
        }
        log.Progress(plan.Iteration, $"complete {plan.CompletionOf[me]} ({pending.Count} requests)");
        Complete(plan, pending, expectedSequence, completed, receivedHashes);
        for (int source = 0; source < comm.Size; source++)
        {
            state.ReceivedSequence[source] += perSource[source];
        }
    }

    private void Complete(IterationPlan plan, List<(MittenRequest Request, PlannedMessage? Receive, byte[] Buffer)> pending,
        Dictionary<int, long> expectedSequence, HashSet<int> completed, ulong[] receivedHashes)
    {
        switch (plan.CompletionOf[me])
        {
            case Completion.WaitAll:
                MittenRequest.WaitAll(pending.Select(p => p.Request).ToArray());
                foreach (var (_, m, buffer) in pending)
                {
                    if (m is not null)
                    {
                        Check(plan, m, expectedSequence[m.Index], buffer, null, completed, receivedHashes); // WaitAll gives no status
                    }
                }
                break;
            case Completion.WaitEach:
                var random = new SoakRandom(plan.OrderSeed[me]);
                var order = pending.ToArray();
                for (int i = order.Length - 1; i > 0; i--)
                {
                    int j = random.Next(i + 1);
                    (order[i], order[j]) = (order[j], order[i]);
                }
                foreach (var (request, m, buffer) in order)
                {
                    ReceiveStatus status = request.Wait();
                    if (m is not null)
                    {
                        Check(plan, m, expectedSequence[m.Index], buffer, status, completed, receivedHashes);
                    }
                }
                break;
            default:
                foreach (var (request, m, buffer) in pending)
                {
                    ReceiveStatus status;
                    int polls = 0;
                    while (!request.Test(out status))
                    {
                        if (++polls >= 500)
                        {
                            // Bounded: polling Test alone would hold off a migration (MittenRequest.Test).
                            status = request.Wait();
                            break;
                        }
                        Thread.Yield();
                    }
                    if (m is not null)
                    {
                        Check(plan, m, expectedSequence[m.Index], buffer, status, completed, receivedHashes);
                    }
                }
                break;
        }
    }

    /// <summary>Checks one received message against the plan and counts what is wrong.</summary>
    private void Check(IterationPlan plan, PlannedMessage m, long expected, byte[] buffer, ReceiveStatus? status,
        HashSet<int> completed, ulong[] receivedHashes)
    {
        int count = status?.Count ?? buffer.Length;
        ReadOnlySpan<byte> data = buffer.AsSpan(0, Math.Min(Math.Max(count, 0), buffer.Length));
        state.MessagesReceived++;
        state.BytesReceived += data.Length;
        receivedHashes[m.Index] = Payload.Fnv(data);
        string where = string.Create(CultureInfo.InvariantCulture,
            $"iteration {plan.Iteration} message {m.Index} ({m.Send}->{m.Receive}) from {m.Source} tag {m.Tag} seq {expected} bytes {m.Bytes}");
        if (status is { } s && (s.Source != m.Source || s.Tag != m.Tag))
        {
            PlannedMessage? other = plan.Messages.FirstOrDefault(o => o.Destination == me && o.Source == s.Source && o.Tag == s.Tag);
            if (other is null)
            {
                state.Corrupted++;
                log.Error($"corrupted: {where}: got source {s.Source} tag {s.Tag} count {s.Count}, which is no message of this iteration");
            }
            else if (completed.Contains(other.Index))
            {
                state.Duplicated++;
                log.Error($"duplicated: {where}: got message {other.Index} (source {s.Source} tag {s.Tag}) a second time");
            }
            else
            {
                state.Reordered++;
                completed.Add(other.Index);
                log.Error($"reordered: {where}: got message {other.Index} (source {s.Source} tag {s.Tag}) meant for a later receive");
            }
            return;
        }
        completed.Add(m.Index);
        if (scratch.Length < m.Bytes)
        {
            scratch = new byte[Math.Max(m.Bytes, scratch.Length * 2)];
        }
        switch (Payload.Check(data, m.Bytes, scratch, shape.Seed, m.Source, me, expected, plan.Iteration, out long otherSequence))
        {
            case PayloadVerdict.Expected:
                if (state.EarlyArrivals.Remove((m.Source, expected)))
                {
                    state.Duplicated++;
                    log.Error($"duplicated: {where}: this message had already arrived at another receive");
                }
                state.Skipped.Remove((m.Source, expected));
                break;
            case PayloadVerdict.OtherMessage:
                // Of an earlier iteration and received then (not skipped): a second copy.
                bool before = otherSequence < state.ReceivedSequence[m.Source] && !state.Skipped.Contains((m.Source, otherSequence));
                if (before || !state.EarlyArrivals.Add((m.Source, otherSequence)))
                {
                    state.Duplicated++;
                    log.Error($"duplicated: {where}: got sequence {otherSequence} again");
                }
                else
                {
                    state.Reordered++;
                    state.Skipped.Add((m.Source, expected));
                    state.Skipped.Remove((m.Source, otherSequence));
                    log.Error($"reordered: {where}: got sequence {otherSequence} instead");
                }
                break;
            default:
                state.Corrupted++;
                log.Error($"corrupted: {where}: {data.Length} bytes{(status is null ? " (WaitAll: no status)" : "")}, contents do not match");
                break;
        }
    }
}
