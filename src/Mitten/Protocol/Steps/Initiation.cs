using System.Diagnostics;
using Mitten.Control;
using Mitten.ControlDirectory;
using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Step 1, initiation (patent 002, Fig. 5 OnMigration): requests reach the rank that must move
/// (from the API on any rank, the control directory, or a predecessor that moved with them
/// queued), and at its next migration point it takes the group's migration lock, freezes every
/// rank's superstep and announces the synchronization (MIG_CMD). A request is never dropped:
/// it stays queued until it is served, moves with its rank, or is refused with an outcome.
/// </summary>
internal sealed partial class GroupProtocol
{
    private readonly Queue<MigrationRequest> requests = new();
    private volatile int signalRaised;
    private long nextRequestPoll;
    private static long migrationCounter;

    /// <summary>Queues a migration of <paramref name="rank"/> (this process or another) to <paramref name="host"/>; returns the request id.</summary>
    internal string RequestMigration(int rank, string? host, string? requestId)
    {
        if (rank < 0 || rank >= Size)
        {
            throw new MigrationRequestException($"rank {rank} does not exist (the group has ranks 0..{Size - 1})");
        }
        if (host is not null && !JobDirectory.IsValidHostName(host))
        {
            throw new MigrationRequestException($"'{host}' is not a valid host name");
        }
        if (finishing)
        {
            throw new MigrationRequestException("the job is finishing; no migration can start");
        }
        var request = new MigrationRequest(requestId ?? Names.NewRequestId(Names.MigrationKind), rank, host, Stopwatch.GetTimestamp());
        if (rank == Rank)
        {
            requests.Enqueue(request);
        }
        else
        {
            control.Send(new ForwardedRequest(rank, host, request.Id), rank);
        }
        return request.Id;
    }

    /// <summary>Queues a coordinated checkpoint into <paramref name="directory"/> (on rank 0, which leads it).</summary>
    internal string RequestCheckpoint(string directory, string? requestId)
    {
        if (Rank != 0)
        {
            throw new MigrationRequestException("a checkpoint is led by rank 0: request it there (or with `mitten checkpoint`)");
        }
        if (finishing)
        {
            throw new MigrationRequestException("the job is finishing; no checkpoint can start");
        }
        var request = new MigrationRequest(requestId ?? Names.NewRequestId(Names.CheckpointKind), 0, null, Stopwatch.GetTimestamp(), Path.GetFullPath(directory));
        requests.Enqueue(request);
        return request.Id;
    }

    /// <summary>Raised from the signal handler: look for a request file at the next migration point.</summary>
    internal void SignalRaised() => signalRaised = 1;

    /// <summary>Takes requests other ranks sent through the API, and (every 200 ms, or on SIGUSR2) the control directory's.</summary>
    private void PollRequests()
    {
        while (control.TryReceive(Mpi.AnySource, ControlTag.Request, out ControlMessage message, out _))
        {
            OnControlMessage(message, -1);
        }
        if (job is null)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        if (signalRaised == 0 && now < nextRequestPoll)
        {
            return;
        }
        signalRaised = 0;
        nextRequestPoll = now + Stopwatch.Frequency / 5;
        foreach (MigrationRequest request in job.ClaimRequests(Rank, Size))
        {
            if (request.Rank == Rank)
            {
                requests.Enqueue(request);
            }
        }
    }

    /// <summary>A request another rank forwarded: it is for this rank (its sender checked the rank).</summary>
    private void OnForwardedRequest(ForwardedRequest request)
    {
        var queued = new MigrationRequest(request.RequestId, Rank, request.Host, Stopwatch.GetTimestamp());
        if (finishing)
        {
            Refuse(queued, "the job finished before the migration could start");
            return;
        }
        requests.Enqueue(queued);
    }

    /// <summary>Every queued request ends as refused, with its outcome recorded (the job is finishing).</summary>
    private void RefuseQueuedRequests(string reason)
    {
        while (requests.TryDequeue(out MigrationRequest? request))
        {
            Refuse(request, reason);
        }
    }

    private void Refuse(MigrationRequest request, string reason)
    {
        MittenLog.RequestRefused(MittenLog.Logger, Rank, request.Id, reason);
        job?.AppendEvent("rejected", Rank, 0, request.Id, null);
        if (request.CheckpointDirectory is not null)
        {
            job?.WriteCheckpointOutcome(request.Id, "failed", -1, request.CheckpointDirectory, reason);
        }
        else
        {
            job?.WriteOutcome(request.Id, Rank, MigrationOutcome.Rejected, reason, null);
        }
        History.Add(new MigrationReport(0, Rank, MigrationOutcome.Rejected, reason, [], 0, Mpi.ProcessorName, request.Host ?? "", 0));
    }

    /// <summary>
    /// The leader, at a migration point with a request: take the group's migration lock (so two
    /// synchronizations never interleave), freeze every rank's superstep atomically and take the
    /// maximum as the global superstep, then tell everyone (MIG_CMD). If the lock is held, the
    /// request stays queued and this process joins the other synchronization when it sees the flag.
    /// </summary>
    private void TryInitiate()
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"request {requests.Peek().Id} taken at superstep {Superstep}: locking and freezing");
        }
        long lockStart = Stopwatch.GetTimestamp();
        if (!window.TryLockMigration(Rank))
        {
            return;
        }
        MigrationRequest request = requests.Dequeue();
        long start = Stopwatch.GetTimestamp();
        long id = ((long)Rank << 40) | (uint)Environment.ProcessId << 8 | (byte)Interlocked.Increment(ref migrationCounter);
        SyncMode mode = request.CheckpointDirectory is null ? SyncMode.Migration : SyncMode.Checkpoint;
        string target = request.CheckpointDirectory ?? request.Host ?? Mpi.ProcessorName;
        if (mode == SyncMode.Migration)
        {
            job?.AppendEvent("migration_start", Rank, id, request.Id, $"\"to\":\"{target}\"");
        }
        long freezeStart = Stopwatch.GetTimestamp();
        long globalSuperstep = window.FreezeAll(Size);
        long frozen = Stopwatch.GetTimestamp();
        var command = new MigrationCommand(id, Rank, globalSuperstep, mode, target);
        sync = new SynchronizationSession(command, Size, request)
        {
            FreezeWaitTicks = frozen - freezeStart,
            LockWaitTicks = start - lockStart,
        };
        sync.StartCollecting(Size, Rank);
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"initiate {id} ({mode}): superstep {Superstep} collectives {Collectives} global {globalSuperstep} target {target}; lock {Stopwatch.GetElapsedTime(lockStart, start).TotalMilliseconds:F2} ms, freeze {Stopwatch.GetElapsedTime(freezeStart, frozen).TotalMilliseconds:F2} ms"));
        }
        control.SendToAllBut(command, Rank);
        sync.ProtocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("freeze and MIG_CMD", start);
        TakeSpareEarly(sync); // a free spare on the target host, before running on to the global superstep (Steps/EarlyState.cs)
        WriteStatus("migrating");
        FaultInjection.At("frozen", Rank);
    }
}
