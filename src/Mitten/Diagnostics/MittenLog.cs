using Microsoft.Extensions.Logging;

namespace Mitten.Diagnostics;

/// <summary>
/// Mitten's messages (each one a source-generated <see cref="LoggerMessageAttribute"/> method,
/// called only at migration, checkpoint or control-directory time). They go to the
/// application's logger (<see cref="MittenOptions.LoggerFactory"/>), else to standard error as
/// before: <c>mitten: </c> and the message (<c>mitten: warning: </c> at warning level).
/// </summary>
internal static partial class MittenLog
{
    /// <summary>The process's logger; set once by <see cref="MittenSession{TState}.Start(Func{TState}, IStateCodec{TState}, MittenOptions?)"/>.</summary>
    internal static ILogger Logger { get; private set; } = StandardErrorLogger.Instance;

    internal static void Use(ILoggerFactory? factory) =>
        Logger = factory is null ? StandardErrorLogger.Instance : factory.CreateLogger(MittenDiagnostics.LoggerCategory);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "rank {Rank}: migration {MigrationId} rolled back: {Reason}")]
    internal static partial void RolledBack(ILogger logger, int rank, long migrationId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "rank {Rank}: request {RequestId} refused: {Reason}")]
    internal static partial void RequestRefused(ILogger logger, int rank, string requestId, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "replacement{ForRank} (process {ProcessId}) leaves: {Reason}")]
    internal static partial void ReplacementLeaves(ILogger logger, string forRank, int processId, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "rank {Rank}: the old process sent no COMMIT within {Seconds} s after the new group was complete; resuming (the new group does not include it)")]
    internal static partial void NoCommit(ILogger logger, int rank, double seconds);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "rank {Rank}: restarted from checkpoint epoch {Epoch} in {Directory}")]
    internal static partial void Restarted(ILogger logger, int rank, long epoch, string directory);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{Diagnostic}")]
    internal static partial void RestartFallback(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "rank {Rank}: checkpoint into {Directory} failed: {Reason}")]
    internal static partial void CheckpointFailed(ILogger logger, int rank, string directory, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "rank {Rank}: checkpoint into {Directory} not taken: {Reason}")]
    internal static partial void CheckpointNotTaken(ILogger logger, int rank, string? directory, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Critical, Message = "rank {Rank}: {Who}: {What}; the group cannot continue consistently, so the job is ended; {Checkpoint}")]
    internal static partial void JobEnded(ILogger logger, int rank, string who, string what, string checkpoint);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "ignoring request {Request}: {Problem}")]
    internal static partial void RequestIgnored(ILogger logger, string request, string problem);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "event {Name}: details dropped: {Problem}")]
    internal static partial void EventDetailsDropped(ILogger logger, string name, string problem);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "cannot append to {File}: {Problem}")]
    internal static partial void CannotAppend(ILogger logger, string file, string problem);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "cannot write {File}: {Problem}")]
    internal static partial void CannotWrite(ILogger logger, string file, string problem);

    /// <summary>Before the process leaves with _exit: what standard error holds is written out.</summary>
    internal static void FlushStandardError() => Console.Error.Flush();

    /// <summary>The default: one line per message on standard error, as Mitten wrote before it took a logger.</summary>
    private sealed class StandardErrorLogger : ILogger
    {
        internal static readonly StandardErrorLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            string prefix = logLevel == LogLevel.Warning ? "mitten: warning: " : "mitten: ";
            Console.Error.WriteLine(prefix + formatter(state, exception));
        }
    }
}
