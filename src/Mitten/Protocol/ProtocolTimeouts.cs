using System.Diagnostics;
using System.Globalization;

namespace Mitten.Protocol;

/// <summary>
/// Every wait of the protocol has one of these limits (environment variables, seconds). What
/// happens when one expires is decided where the wait is (docs/PROTOCOL.md, "Deadlines").
/// </summary>
internal static class ProtocolTimeouts
{
    /// <summary>A peer answering a protocol message it is already waiting for (MIG_CMD after a freeze, a drain marker, RESUMED, a replacement's hello and state). MITTEN_STEP_TIMEOUT_SECONDS, default 30.</summary>
    internal static TimeSpan Step { get; } = Read("MITTEN_STEP_TIMEOUT_SECONDS", 30);

    /// <summary>Every process reaching the global superstep or blocking: the application's own time between migration points. MITTEN_SYNC_TIMEOUT_SECONDS, default 300.</summary>
    internal static TimeSpan Synchronization { get; } = Read("MITTEN_SYNC_TIMEOUT_SECONDS", 300);

    /// <summary>Spawning the replacement and its restore_complete. MITTEN_RESTORE_TIMEOUT_SECONDS, default 120.</summary>
    internal static TimeSpan Restore { get; } = Read("MITTEN_RESTORE_TIMEOUT_SECONDS", 120);

    /// <summary>Each step after DECISION(commit): connect, accept, merge, the new window, JOINED, COMMIT. MITTEN_COMMIT_TIMEOUT_SECONDS, default 60.</summary>
    internal static TimeSpan Commit { get; } = Read("MITTEN_COMMIT_TIMEOUT_SECONDS", 60);

    private static TimeSpan Read(string variable, double fallback) =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : fallback);
}

/// <summary>A point in time by which a polled wait must end, and what it waits for (for the message when it does not).</summary>
internal readonly struct Deadline
{
    private readonly long expiresAt;

    private Deadline(long expiresAt, TimeSpan limit, string waitingFor)
    {
        this.expiresAt = expiresAt;
        Limit = limit;
        WaitingFor = waitingFor;
    }

    internal static Deadline After(TimeSpan limit, string waitingFor) =>
        new(Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency), limit, waitingFor);

    internal TimeSpan Limit { get; }

    internal string WaitingFor { get; }

    internal bool Expired => Stopwatch.GetTimestamp() > expiresAt;

    /// <summary>"X did not happen within N s".</summary>
    internal string Describe() => $"{WaitingFor} did not happen within {Limit.TotalSeconds:0.###} s";
}

/// <summary>
/// A limit on one blocking MPI call that cannot be polled (spawn, connect, accept, merge, a
/// window's creation): if the call has not returned when the limit expires, the given action
/// runs on a timer thread (it ends the process or the job: the call cannot be abandoned).
/// </summary>
internal sealed class BlockingCallLimit : IDisposable
{
    private readonly Timer timer;

    private BlockingCallLimit(TimeSpan limit, Action onExpiry) =>
        timer = new Timer(_ => onExpiry(), null, limit, Timeout.InfiniteTimeSpan);

    internal static BlockingCallLimit Arm(TimeSpan limit, Action onExpiry) => new(limit, onExpiry);

    public void Dispose() => timer.Dispose();
}
