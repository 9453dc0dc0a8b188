using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// One synchronization of the group in progress, as this process sees it: what it is for
/// (<see cref="Mode"/>: move the leader, or take a coordinated checkpoint), who leads it, the
/// global superstep every process runs to, and on the leader the reports collected so far.
/// It exists from the freeze (leader) or MIG_CMD (others) until the process resumes.
/// </summary>
internal sealed class SynchronizationSession
{
    internal SynchronizationSession(MigrationCommand command, int size, MigrationRequest? request)
    {
        Id = command.SyncId;
        Leader = command.Leader;
        GlobalSuperstep = command.GlobalSuperstep;
        Mode = command.Mode;
        TargetHost = command.Mode == SyncMode.Migration ? command.Target : null;
        CheckpointDirectory = command.Mode == SyncMode.Checkpoint ? command.Target : null;
        Request = request;
        MarkerSeen = new bool[size];
        ControlMarkerSeen = new bool[size];
    }

    /// <summary>Unique in the job: the leader's rank, process id and a counter.</summary>
    internal long Id { get; }

    /// <summary>The rank that moves (migration) or leads the checkpoint (rank 0).</summary>
    internal int Leader { get; }

    /// <summary>Every process runs to this superstep and no further (the freeze's maximum).</summary>
    internal long GlobalSuperstep { get; }

    internal SyncMode Mode { get; }

    /// <summary>Where the leader moves (migration only).</summary>
    internal string? TargetHost { get; }

    /// <summary>Where every rank writes its state (checkpoint only).</summary>
    internal string? CheckpointDirectory { get; }

    /// <summary>The request being served (on the leader only).</summary>
    internal MigrationRequest? Request { get; }

    /// <summary>Peers whose drain marker was taken early (by a wildcard-tag receive or while stopped).</summary>
    internal bool[] MarkerSeen { get; }

    /// <summary>Peers whose control-channel marker (<see cref="ControlMarker"/>) was taken while waiting for something else.</summary>
    internal bool[] ControlMarkerSeen { get; }

    /// <summary>This rank sent its drain markers to the leader when it stopped (Steps/EarlyMarkers.cs); its drain sends the leader none.</summary>
    internal bool EarlyMarkersSent { get; set; }

    /// <summary>This rank's drain began (it consumes every marker sent to it, early ones too).</summary>
    internal bool DrainStarted { get; set; }

    /// <summary>Time spent in the protocol's own steps (leader), in stopwatch ticks.</summary>
    internal long ProtocolTicks { get; set; }

    /// <summary>
    /// Of <see cref="ProtocolTicks"/>, the freeze's one-sided operations (SuperstepWindow.FreezeAll), in
    /// stopwatch ticks: across nodes (osc/pt2pt) nearly all of it is waiting for the other ranks to
    /// enter MPI, since a rank applies the fetch-and-op only then.
    /// </summary>
    internal long FreezeWaitTicks { get; set; }

    /// <summary>The migration lock's compare-and-swap on rank 0 before the freeze, in stopwatch ticks (not part of <see cref="ProtocolTicks"/>).</summary>
    internal long LockWaitTicks { get; set; }

    /// <summary>The leader's view of every process's last report (index = rank).</summary>
    internal SyncReport?[] Reports { get; private set; } = [];

    internal void StartCollecting(int size, int leader)
    {
        Reports = new SyncReport?[size];
        Reports[leader] = new SyncReport(Id, ReportKind.Arrived, -1, BlockedOperation.None, 0, GlobalSuperstep, 0);
    }

    internal MigrationCommand Command() =>
        new(Id, Leader, GlobalSuperstep, Mode, Mode == SyncMode.Migration ? TargetHost ?? "" : CheckpointDirectory ?? "");
}
