namespace Mitten;

/// <summary>One migration's outcome and timeline, as the replacement (commit) or the old process (rollback) saw it.</summary>
/// <param name="Id">Migration id (unique in the job).</param>
/// <param name="Rank">The rank that moved.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Reason">Why it was rolled back or rejected; empty when committed.</param>
/// <param name="Timeline">Phases in order with their time in seconds since the request was seen (signal = 0).</param>
/// <param name="ProtocolSeconds">Time spent in the synchronization protocol itself (window reads, announcements, wake-ups, drains).</param>
/// <param name="FromHost">Host of the old process.</param>
/// <param name="ToHost">Host of the replacement (requested host on rollback).</param>
/// <param name="StateBytes">Bytes of state moved (application state plus communication state).</param>
public sealed record MigrationReport(
    long Id,
    int Rank,
    MigrationOutcome Outcome,
    string Reason,
    IReadOnlyList<(string Phase, double Seconds)> Timeline,
    double ProtocolSeconds,
    string FromHost,
    string ToHost,
    long StateBytes)
{
    /// <summary>
    /// Of <see cref="ProtocolSeconds"/>, the freeze: the one-sided operations that set every rank's
    /// synchronization flag. When the group spans nodes nearly all of it is waiting for the other
    /// ranks to next enter MPI (their compute in between), not work of the protocol.
    /// </summary>
    public double FreezeWaitSeconds { get; init; }

    /// <summary>The group's migration lock taken before the freeze (waits the same way across nodes); not part of <see cref="ProtocolSeconds"/>.</summary>
    public double LockWaitSeconds { get; init; }

    /// <summary>Seconds from the signal until <paramref name="phase"/>, or NaN when it did not happen.</summary>
    public double At(string phase)
    {
        foreach (var (p, s) in Timeline)
        {
            if (p == phase)
            {
                return s;
            }
        }
        return double.NaN;
    }

    /// <summary>One line: outcome and the phase times in milliseconds.</summary>
    public override string ToString()
    {
        string phases = string.Join(" ", Timeline.Select(t => $"{t.Phase}={t.Seconds * 1000:F1}ms"));
        return $"migration {Id}: rank {Rank} {FromHost} -> {ToHost} {Outcome}{(Reason.Length > 0 ? $" ({Reason})" : "")}: {phases} protocol={ProtocolSeconds * 1000:F2}ms freeze_wait={FreezeWaitSeconds * 1000:F2}ms lock_wait={LockWaitSeconds * 1000:F2}ms state={StateBytes}B";
    }
}

/// <summary>A migration could not be requested (bad rank, bad host name, job finishing).</summary>
public sealed class MigrationRequestException : Exception
{
    internal MigrationRequestException(string message) : base(message) { }
}
