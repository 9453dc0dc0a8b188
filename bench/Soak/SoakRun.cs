using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Bench.Soak;

/// <summary>
/// The migratable soak program: per iteration a migration point, the migration requests of
/// the plan (issued by their issuer rank, logged with their ids), the point-to-point exchange,
/// the collectives, and the fold of everything received into the running result. At the end
/// each rank compares its result with the value computed without MPI (<see cref="ExpectedResult"/>).
/// </summary>
internal static class SoakRun
{
    public static int Run(SoakShape shape)
    {
        using var session = MittenSession<SoakState>.Start(() => SoakState.Create(Mpi.World.Size), SoakState.Codec);
        MittenCommunicator comm = session.Communicator;
        SoakState state = session.State;
        int me = comm.Rank, size = comm.Size;
        var log = new SoakLog(shape.LogDirectory, me);
        if (session.IsReplacement)
        {
            Console.Error.WriteLine($"soak: rank {me}: replacement (process {state.Generation} of the rank, pid {Environment.ProcessId}) resumes at iteration {state.Iteration}");
        }
        var exchange = new Exchange(comm, shape, state, log);
        var carried = new List<CarriedSend>();
        while (state.Iteration < shape.Iterations)
        {
            log.Progress(state.Iteration, "migration-point");
            session.MigrationPoint();
            foreach (CarriedSend send in carried)
            {
                send.Request.Wait();
            }
            carried.Clear();
            var plan = IterationPlan.Create(shape, state.Iteration, size);
            IssueRequests(session, plan, log);
            var receivedHashes = new ulong[plan.Messages.Count];
            exchange.Run(plan, receivedHashes, carried);
            var collectiveHashes = new ulong[plan.Collectives.Count];
            for (int c = 0; c < plan.Collectives.Count; c++)
            {
                PlannedCollective collective = plan.Collectives[c];
                log.Progress(state.Iteration, $"collective {c} {collective.Kind} root {collective.Root} count {collective.Count}");
                long[] result = Collectives.Run(comm, collective);
                long[] expected = Collectives.Expected(collective, me, size);
                if (!result.AsSpan().SequenceEqual(expected))
                {
                    state.Corrupted++;
                    log.Error($"corrupted: iteration {state.Iteration} collective {c} {collective.Kind} root {collective.Root} count {collective.Count}: result differs from the expected one");
                }
                collectiveHashes[c] = Collectives.Hash(result);
                state.CollectivesCompleted++;
            }
            state.Result = FoldIteration(state.Result, plan, me, receivedHashes, collectiveHashes);
            state.Iteration++;
        }
        foreach (CarriedSend send in carried)
        {
            send.Request.Wait();
        }
        log.Progress(state.Iteration, "final");
        ulong expectedResult = ExpectedResult(shape, size, me);
        long lost = state.Skipped.Count(s => !state.EarlyArrivals.Contains(s));
        bool ok = state.Result == expectedResult && lost == 0 && state.Corrupted == 0 && state.Duplicated == 0 && state.Reordered == 0;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"SOAK rank={me} iterations={state.Iteration} result={state.Result:x16} expected={expectedResult:x16} ok={(ok ? 1 : 0)} " +
            $"lost_messages={lost} duplicated={state.Duplicated} reordered={state.Reordered} corrupted={state.Corrupted} " +
            $"messages={state.MessagesReceived} bytes={state.BytesReceived} collectives={state.CollectivesCompleted} process={state.Generation} pid={Environment.ProcessId}");
        log.Final(line);
        Console.WriteLine(line);
        log.Progress(state.Iteration, "finish");
        session.Finish();
        log.Finished();
        return ok ? 0 : 1;
    }

    private static void IssueRequests(MittenSession<SoakState> session, IterationPlan plan, SoakLog log)
    {
        foreach (PlannedRequest request in plan.Requests)
        {
            if (request.Issuer != session.Rank)
            {
                continue;
            }
            try
            {
                string id = session.RequestMigration(request.Target, "localhost");
                log.Issued(id, request.Target, plan.Iteration);
            }
            catch (MigrationRequestException e)
            {
                log.RefusedAtCall(request.Target, plan.Iteration, e.Message);
            }
        }
    }

    /// <summary>The fold of one iteration: its number, each received payload (plan order), each collective result.</summary>
    private static ulong FoldIteration(ulong result, IterationPlan plan, int me, ulong[] receivedHashes, ulong[] collectiveHashes)
    {
        result = SoakState.Fold(result, (ulong)plan.Iteration);
        foreach (PlannedMessage m in plan.Messages)
        {
            if (m.Destination == me)
            {
                result = SoakState.Fold(result, receivedHashes[m.Index]);
            }
        }
        foreach (ulong hash in collectiveHashes)
        {
            result = SoakState.Fold(result, hash);
        }
        return result;
    }

    /// <summary>
    /// The result <paramref name="me"/> must end with, computed without MPI and without
    /// migrations: the same plans, the payloads generated and the collective results computed.
    /// </summary>
    public static ulong ExpectedResult(SoakShape shape, int size, int me)
    {
        ulong result = SoakState.Create(size).Result;
        var receivedBase = new long[size];
        byte[] buffer = new byte[4096];
        for (int iteration = 0; iteration < shape.Iterations; iteration++)
        {
            var plan = IterationPlan.Create(shape, iteration, size);
            var hashes = new ulong[plan.Messages.Count];
            for (int source = 0; source < size; source++)
            {
                foreach (PlannedMessage m in plan.SendOrder(source))
                {
                    if (m.Destination == me)
                    {
                        if (buffer.Length < m.Bytes)
                        {
                            buffer = new byte[Math.Max(m.Bytes, buffer.Length * 2)];
                        }
                        Payload.Fill(buffer.AsSpan(0, m.Bytes), shape.Seed, source, me, receivedBase[source]++, iteration);
                        hashes[m.Index] = Payload.Fnv(buffer.AsSpan(0, m.Bytes));
                    }
                }
            }
            ulong[] collectiveHashes = plan.Collectives.Select(c => Collectives.Hash(Collectives.Expected(c, me, size))).ToArray();
            result = FoldIteration(result, plan, me, hashes, collectiveHashes);
        }
        return result;
    }
}
