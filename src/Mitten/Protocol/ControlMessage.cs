namespace Mitten.Protocol;

/// <summary>Tags of the protocol's messages. Control tags travel on the control communicator (a duplicate of the group's), the rest on the parent intercommunicator between the migrating process and its replacement.</summary>
internal static class ControlTag
{
    internal const int MigCmd = 1;        // Pj -> all: [id, j, S]; then host bytes (tag + Payload)
    internal const int Report = 2;        // all -> Pj: [id, state, peer, op, collectives, count]
    internal const int MigWake = 3;       // Pj -> Px: [id, k]  "wake Pk, who waits for you"
    internal const int Wake = 4;          // Px or Pj -> Pk: [id]
    internal const int MigEnd = 5;        // Pj -> all: [id, verdict]; then reason bytes when aborted
    internal const int Decision = 6;      // Pj -> all: [id, commit?]; then port bytes (commit) or reason bytes
    internal const int Resumed = 7;       // all -> Pj after an abort/rollback: [id]
    internal const int Request = 8;       // any -> Rj: [requestId, rank]; then host bytes
    internal const int Payload = 100;     // added to a tag for the bytes that follow a header

    // On the intercommunicator Pj <-> Pn.
    internal const int Header = 20;
    internal const int CommunicationState = 21;
    internal const int ApplicationState = 22;
    internal const int Restored = 23;     // Pn -> Pj: port name bytes
    internal const int Joined = 24;       // Pn -> Pj: [1]
    internal const int Commit = 25;       // Pj -> Pn: [1]
    internal const int RestoreFailed = 26; // Pn -> Pj: reason bytes
    internal const int Hello = 27;         // Pn -> Pj: its process id (text), first thing after start

    /// <summary>
    /// Tag of the end-of-channel marker sent on the application communicator during the drain.
    /// Application tags must be below it (32767 is the smallest tag bound MPI guarantees).
    /// </summary>
    internal const int DrainMarker = 32767;
}

/// <summary>What a process reports to the migrating process while the group synchronizes.</summary>
internal enum ReportKind : long
{
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
