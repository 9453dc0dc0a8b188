using System.Diagnostics;
using System.Runtime.InteropServices;
using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// How a synchronization ends: abort (MIG_END abort, before anything changed), rollback
/// (DECISION rollback, after the drain), or, when a participant is lost where neither is
/// possible any more, the end of the job with one clear message. Commit is the joining ranks'
/// and the moving rank's step. Every resume republishes the superstep word exactly once,
/// before it is acknowledged; the leader releases the migration lock only when every rank has
/// acknowledged, so a republish can never clear the flag of a later synchronization.
/// </summary>
internal sealed partial class GroupProtocol
{
    private readonly List<(string Phase, double Seconds)> timeline = [];

    /// <summary>The leader, after MIG_END(abort): the migration rolls back, or the checkpoint is retried or fails.</summary>
    private void AbortSynchronization(string reason, long publishSuperstep)
    {
        SynchronizationSession session = sync!;
        if (session.Mode == SyncMode.Checkpoint)
        {
            EndCheckpointAttempt(session, reason);
        }
        else
        {
            AbandonEarlyTransfer(); // a spare taken at initiation (Steps/EarlyState.cs)
            Mark("rolled_back");
            RecordOutcome(session, MigrationOutcome.RolledBack, reason);
            MittenLog.RolledBack(MittenLog.Logger, Rank, session.Id, reason);
        }
        ResumeAfterAbort(publishSuperstep);
    }

    /// <summary>The leader of a migration, after the drain: the move failed before the commit; every process resumes in the old group.</summary>
    private void RollBack(SynchronizationSession session, string reason, bool spawnAttempted)
    {
        SpawnAttempted |= spawnAttempted;
        Mark("rolled_back");
        RecordOutcome(session, MigrationOutcome.RolledBack, reason);
        control.SendToAllBut(new GroupDecision(session.Id, spawnAttempted ? DecisionKind.RolledBackAfterSpawn : DecisionKind.RolledBackBeforeSpawn, reason), Rank);
        MittenLog.RolledBack(MittenLog.Logger, Rank, session.Id, reason);
        ResumeAfterAbort(Superstep + 1); // the leader stopped at a migration point
    }

    /// <summary>Leaves the synchronization phase without a new group (abort or rollback).</summary>
    private void EndSynchronization()
    {
        JitWorkerPriority.Restore(); // lowered by a moving rank for its spawn (JitWorkerPriority.cs)
        StateRing.DropPreopened(); // a spare's ring opened ahead and not claimed (StateRing.Preopen.cs)
        sync = null;
        RepostParkedReceives();
    }

    /// <summary>
    /// After an abort or rollback: republish this process's superstep (clearing the flag), then
    /// acknowledge (RESUMED); the leader waits for every acknowledgement before it releases the
    /// migration lock. A rank that does not acknowledge within the step limit is lost.
    /// </summary>
    private void ResumeAfterAbort(long publishSuperstep)
    {
        SynchronizationSession session = sync!;
        bool[]? early = Rank == session.Leader ? TakeEarlyMarkersAfterAbort(session) : null; // Steps/EarlyMarkers.cs
        EndSynchronization();
        window.PublishAfterSynchronization(publishSuperstep);
        if (Rank != session.Leader)
        {
            control.Send(new Resumed(session.Id), session.Leader);
            WriteStatus("running");
            return;
        }
        bool[] acknowledged = early ?? new bool[Size];
        acknowledged[Rank] = true;
        PollControlUntil(() => Array.IndexOf(acknowledged, false) < 0, Deadline.After(ProtocolTimeouts.Step, "every rank's RESUMED"),
            () => Array.IndexOf(acknowledged, false), "RESUMED",
            (message, source) => message is Resumed resumed && resumed.SyncId == session.Id && (acknowledged[source] = true));
        window.UnlockMigration();
        WriteStatus("running");
    }

    private void Mark(string phase, long bytes = -1)
    {
        RecordPhaseSpan(phase, bytes);
        timeline.Add((phase, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - SignalUnixMs()) / 1000.0));
    }

    private double SignalUnixMs() => sync?.Request is { } request ? UnixMsOf(request.SeenTimestamp) : UnixMsOf(Stopwatch.GetTimestamp());

    private static double UnixMsOf(long timestamp) =>
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (Stopwatch.GetTimestamp() - timestamp) * 1000.0 / Stopwatch.Frequency;

    /// <summary>The leader records a migration's outcome: history, the job's journal, then its outcome file.</summary>
    private void RecordOutcome(SynchronizationSession session, MigrationOutcome outcome, string reason)
    {
        var report = new MigrationReport(session.Id, session.Leader, outcome, reason, timeline.ToList(),
            (double)session.ProtocolTicks / Stopwatch.Frequency, Mpi.ProcessorName, session.TargetHost ?? "", 0)
        {
            FreezeWaitSeconds = (double)session.FreezeWaitTicks / Stopwatch.Frequency,
            LockWaitSeconds = (double)session.LockWaitTicks / Stopwatch.Frequency,
        };
        History.Add(report);
        timeline.Clear();
        EndMigrationSpan(outcome, reason);
        if (session.Request is { } request)
        {
            // The event first: whoever sees the outcome file (mitten migrate, the scheduler)
            // can then rely on the events file already holding the final phase.
            job?.AppendEvent(outcome == MigrationOutcome.Committed ? "migration_commit" : "rollback", Rank, session.Id, request.Id, null);
            job?.WriteOutcome(request.Id, session.Leader, outcome, reason, report);
        }
    }

    /// <summary>
    /// A participant was lost where the group can neither roll back nor go on (or the group
    /// cannot tell): one clear message naming the rank and the newest checkpoint, an event in
    /// the job's journal, then MPI_Abort over the group, which makes mpiexec end every process
    /// of the job and exit. Never returns. May run on a timer thread (see <see cref="BlockingCallLimit"/>).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void EndJob(int lostRank, string what)
    {
        string who = lostRank >= 0 ? $"rank {lostRank} is lost" : "a participant is lost";
        string checkpoint = LastCheckpointDirectory is { } directory
            ? $"restart from the newest complete checkpoint in {directory} (mitten restart)"
            : "no checkpoint was taken in this run";
        MittenLog.JobEnded(MittenLog.Logger, Rank, who, what, checkpoint);
        MittenLog.FlushStandardError();
        try
        {
            job?.AppendEvent("job_failed", Rank, sync?.Id ?? 0, sync?.Request?.Id, null);
        }
        catch (IOException)
        {
            // the message above is what matters
        }
        AbortProcessGroup(app, 75);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>MPI_Abort over <paramref name="group"/>; if MPI does not end this process within 10 s, it exits by itself.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void AbortProcessGroup(Communicator? group, int code)
    {
        var fallback = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(10));
            ExitProcess(code);
        }) { IsBackground = true };
        fallback.Start();
        try
        {
            if (group is not null && !group.IsFreed)
            {
                Mpi.Abort(group, code);
            }
        }
        catch (MpiException)
        {
            // fall through to the exit below
        }
        ExitProcess(code);
        throw new InvalidOperationException("unreachable");
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitProcessNative(int status);

    internal static void ExitProcess(int status) => ExitProcessNative(status);
}
