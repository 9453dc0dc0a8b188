namespace Mitten.Protocol;

/// <summary>
/// What Pj tells Pn before the state: who it becomes and what happened so far. Travels in the
/// binary encoding of <see cref="Messages.HeaderCodec"/> (a field added here is added there).
/// </summary>
internal sealed class ReplacementHeader
{
    public long MigrationId { get; set; }
    public string RequestId { get; set; } = "";
    public int Rank { get; set; }
    public int Size { get; set; }
    public long Superstep { get; set; }
    public long Collectives { get; set; }
    public string FromHost { get; set; } = "";
    public string ToHost { get; set; } = "";
    public int FromPid { get; set; }
    public double SignalUnixMs { get; set; }

    /// <summary>The moving rank's <c>mitten.migration</c> span (W3C id), so the replacement's spans join its trace.</summary>
    public string? TraceParent { get; set; }

    public List<PhaseTime> Timeline { get; set; } = [];
    public double ProtocolSeconds { get; set; }
    public double FreezeWaitSeconds { get; set; }
    public double LockWaitSeconds { get; set; }
    public double FreezeStartUnixMs { get; set; }
    public long StateBytes { get; set; }

    /// <summary>How the state follows the header (<see cref="StateTransfer.OpenReceiver"/>): "shm:PID:FD:RINGBYTES", "tcp:ADDRESS:PORT" or "mpi:CHUNK".</summary>
    public string StateChannel { get; set; } = "";
    public string? JobDirectory { get; set; }
    public string? Fault { get; set; }
    public List<string> KnownHosts { get; set; } = [];

    /// <summary>Requests Pj had queued (they move with the rank and are served by Pn).</summary>
    public List<PendingRequest> PendingRequests { get; set; } = [];

    /// <summary>Where the group's last complete checkpoint is (named if the job has to end).</summary>
    public string? LastCheckpointDirectory { get; set; }

    /// <summary>The group's spares as Pj knows them (the one taken for this migration is unavailable).</summary>
    public List<Spares.SpareInfo> Spares { get; set; } = [];

    /// <summary>
    /// When the new group is made from a spare pool (docs/PROTOCOL.md, "Spare pools"): the pool's
    /// id, and every member of the new group as its rank in the pool, in group-rank order (Pn in
    /// j's place). Null: the group connects to Pn's port (step 5.5).
    /// </summary>
    public int PoolId { get; set; } = -1;
    public List<int>? PoolMembers { get; set; }

    /// <summary>The new group is the one prepared at start for this spare in this rank's place (docs/PROTOCOL.md, "Prepared groups").</summary>
    public bool Prepared { get; set; }

    /// <summary>The spare Pj took and replaces after the commit (docs/PROTOCOL.md, "Replenishing"), or -1.</summary>
    public int ReplenishedSpare { get; set; } = -1;

    /// <summary>
    /// This header was sent at the moving rank's stop, before the drain (MITTEN_EARLY_STATE,
    /// Steps/EarlyState.cs): the final header (the same fields, as after the drain) follows the
    /// application's section, before the received-message-list; the replacement uses it from there on.
    /// </summary>
    public bool FinalHeaderFollows { get; set; }

    /// <summary>Pj's derived communicators (DerivedCommunicators.cs), made again by Pn on the new group.</summary>
    public DerivedCommunicatorState? Derived { get; set; }
}

/// <summary>A request queued at Pj when it moved.</summary>
internal sealed record PendingRequest(string Id, string? Host, string? CheckpointDirectory);

/// <summary>A phase and its time since the signal.</summary>
internal sealed record PhaseTime(string Phase, double Seconds);
