namespace Mitten.Protocol.Messages;

/// <summary>
/// Tags of the protocol's messages. Control tags travel on the control communicator (a
/// duplicate of the group's); the transfer tags on the intercommunicator between the moving
/// process and its replacement. Every control message is an 8-long header (see
/// <see cref="ControlCodec"/>); its text, when it has one, follows with tag + <see cref="Payload"/>.
/// </summary>
internal static class ControlTag
{
    internal const int MigCmd = 1;        // MigrationCommand: leader -> all
    internal const int Report = 2;        // SyncReport: all -> leader
    internal const int MigWake = 3;       // WakeRequest: leader -> Px  "wake Pk, who waits for you"
    internal const int Wake = 4;          // Wake: Px or leader -> Pk
    internal const int MigEnd = 5;        // SyncEnd: leader -> all
    internal const int Decision = 6;      // GroupDecision: leader -> all
    internal const int Resumed = 7;       // Resumed: all -> leader after an abort or rollback
    internal const int Request = 8;       // ForwardedRequest: any -> Rj
    internal const int ChannelMarker = 9; // ControlMarker: each -> each, closes the control channel for a group
    internal const int Payload = 100;     // added to a tag for the text that follows a header

    // On the intercommunicator Pj <-> Pn.
    internal const int Header = 20;
    internal const int CommunicationState = 21; // unused since the state is streamed (kept so the numbers stay)
    internal const int ApplicationState = 22; // Pj -> Pn: state chunks, or shared-memory notices (StateTransfer)
    internal const int Restored = 23;      // Pn -> Pj: port name bytes
    internal const int Joined = 24;        // Pn -> Pj: [1]
    internal const int Commit = 25;        // Pj -> Pn: [1]
    internal const int RestoreFailed = 26; // Pn -> Pj: reason bytes
    internal const int Hello = 27;         // Pn -> Pj: its process id (text), first thing after start
    internal const int Abandon = 28;       // Pj -> Pn: the migration rolled back; exit without joining

    // On the intercommunicator from the group's start-up spawn of its spares (docs/PROTOCOL.md, "Warm spares").
    internal const int SpareRole = 29;     // rank 0 -> spare: [1] you are a spare (a replacement gets Header instead)
    internal const int SpareReady = 30;    // spare -> rank 0: "host TAB pid TAB doorbell TAB mpi-port" once warm (empty: it cannot serve)
    internal const int SparePool = 31;     // rank 0 -> spare: [pool id], or [-1]: no spare pool for this spawn (docs/PROTOCOL.md, "Spare pools")

    /// <summary>
    /// MPI tags of the spare pool's calls (MPI_Intercomm_create between a moving rank and the
    /// spare it took, MPI_Comm_create_group of the new group): never application messages,
    /// since the pool is Mitten's own communicator.
    /// </summary>
    internal const int PoolTake = 40;
    internal const int PoolRebuild = 41;

    /// <summary>Tags of the prepared groups' MPI_Comm_create_group over a pool at start: this base plus the pair's index (at most 4096 pairs).</summary>
    internal const int PreparedGroupBase = 1000;

    /// <summary>Tags of the prepared take intercommunicators' MPI_Intercomm_create over a pool at start: this base plus the pair's index.</summary>
    internal const int PreparedTakeBase = 6000;

    /// <summary>
    /// Tag of the end-of-channel marker sent on the application communicator during the drain.
    /// Application tags must be below it (32767 is the smallest tag bound MPI guarantees).
    /// </summary>
    internal const int DrainMarker = 32767;
}

/// <summary>What a process reports to the leader while the group synchronizes.</summary>
internal enum ReportKind : long
{
    None = 0,
    Arrived = 1,
    Blocked = 2,
    Unblocked = 3,
    Finishing = 4,
}

/// <summary>The operation a blocked process waits in (published in the window).</summary>
internal enum BlockedOperation : long
{
    None = 0,
    Receive = 1,
    Send = 2,
}

/// <summary>What a synchronization is for.</summary>
internal enum SyncMode : long
{
    /// <summary>Move the leader to another host.</summary>
    Migration = 0,
    /// <summary>Every rank writes a coordinated checkpoint; the leader is rank 0.</summary>
    Checkpoint = 1,
}

/// <summary>The leader's decision after the drain.</summary>
internal enum DecisionKind : long
{
    /// <summary>The replacement restored; every rank joins the new group.</summary>
    Commit = 1,
    /// <summary>Rolled back after a spawn was attempted (MPI_Finalize must then be skipped).</summary>
    RolledBackAfterSpawn = 2,
    /// <summary>Rolled back before any spawn.</summary>
    RolledBackBeforeSpawn = 3,
}
