namespace Mitten.Protocol.Messages;

/// <summary>
/// A message of the protocol on the control communicator. Each kind is a record with its tag;
/// <see cref="ControlCodec"/> is the one place that turns it into the wire header and text and back.
/// </summary>
internal abstract record ControlMessage
{
    /// <summary>The tag this kind travels with.</summary>
    internal abstract int Tag { get; }
}

/// <summary>MIG_CMD: a synchronization started; run until <paramref name="GlobalSuperstep"/>. The text is the target host (migration) or the checkpoint directory.</summary>
internal sealed record MigrationCommand(long SyncId, int Leader, long GlobalSuperstep, SyncMode Mode, string Target) : ControlMessage
{
    internal override int Tag => ControlTag.MigCmd;
}

/// <summary>
/// REPORT: a process's state during the synchronization. <paramref name="Channels"/> (the text):
/// its non-blocking collectives not yet completed and its collective count on every derived
/// communicator (see DerivedCommunicators.cs); empty when it has neither.
/// </summary>
internal sealed record SyncReport(long SyncId, ReportKind Kind, int Peer, BlockedOperation Operation, long Collectives, long Superstep, int OutstandingReceives,
    string Channels = "") : ControlMessage
{
    internal override int Tag => ControlTag.Report;
}

/// <summary>MIG_WAKE: "<paramref name="Sleeper"/> waits for you: wake it" (Fig. 9).</summary>
internal sealed record WakeRequest(long SyncId, int Sleeper) : ControlMessage
{
    internal override int Tag => ControlTag.MigWake;
}

/// <summary>WAKE: the receiver is woken; its operation becomes pending.</summary>
internal sealed record Wake(long SyncId) : ControlMessage
{
    internal override int Tag => ControlTag.Wake;
}

/// <summary>MIG_END: every process is stopped or woken; drain now (<paramref name="Proceed"/>), or resume with <paramref name="Reason"/>.</summary>
internal sealed record SyncEnd(long SyncId, bool Proceed, string Reason) : ControlMessage
{
    internal override int Tag => ControlTag.MigEnd;
}

/// <summary>DECISION: commit (the text is the port to connect to) or roll back (the text is the reason).</summary>
internal sealed record GroupDecision(long SyncId, DecisionKind Kind, string Text) : ControlMessage
{
    internal override int Tag => ControlTag.Decision;
}

/// <summary>RESUMED: after an abort or rollback, this process republished its superstep.</summary>
internal sealed record Resumed(long SyncId) : ControlMessage
{
    internal override int Tag => ControlTag.Resumed;
}

/// <summary>REQUEST: a migration of <paramref name="Rank"/> asked for through the API on another rank.</summary>
internal sealed record ForwardedRequest(int Rank, string? Host, string RequestId) : ControlMessage
{
    internal override int Tag => ControlTag.Request;
}

/// <summary>Closes the control channel from its sender before the channel's communicator is freed.</summary>
internal sealed record ControlMarker(long SyncId) : ControlMessage
{
    internal override int Tag => ControlTag.ChannelMarker;
}
