using System.Diagnostics;
using Mitten.Diagnostics;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// The spans of a migration on the moving rank (<see cref="MittenDiagnostics"/>): the
/// <c>mitten.migration</c> span opens at the first phase boundary (with the time the request
/// was seen as its start) and each boundary the protocol marks closes one child phase. Nothing
/// here runs on the per-message path; with no listener each call returns at once.
/// </summary>
internal sealed partial class GroupProtocol
{
    private Activity? migrationSpan;
    private DateTimeOffset phaseStart;

    /// <summary>The phase that ends at each boundary the protocol marks (<see cref="Mark"/>).</summary>
    private static string PhaseEndingAt(string boundary) => boundary switch
    {
        "synchronized" => "mitten.synchronize",
        "spawned" => "mitten.spawn",
        "state_sent" => "mitten.transfer",
        "restored" => "mitten.restore",
        "committed" => "mitten.commit",
        "rolled_back" => "mitten.rollback",
        _ => "mitten." + boundary,
    };

    /// <summary>A phase boundary of the migration this process leads: the phase before it becomes a span.</summary>
    private void RecordPhaseSpan(string boundary, long bytes = -1)
    {
        if (!MittenTelemetry.Source.HasListeners() || sync is not { } session)
        {
            return;
        }
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (migrationSpan is null)
        {
            phaseStart = MittenTelemetry.FromUnixMs(SignalUnixMs());
            migrationSpan = MittenTelemetry.StartDetached("mitten.migration", phaseStart);
            migrationSpan?.SetTag(MittenTelemetry.Rank, Rank)
                .SetTag(MittenTelemetry.MigrationId, session.Id)
                .SetTag(MittenTelemetry.RequestId, session.Request?.Id)
                .SetTag(MittenTelemetry.FromHost, Mpi.ProcessorName)
                .SetTag(MittenTelemetry.ToHost, session.TargetHost);
        }
        Activity? phase = MittenTelemetry.Phase(PhaseEndingAt(boundary), migrationSpan, phaseStart, now, bytes);
        phase?.SetTag(MittenTelemetry.Rank, Rank);
        if (bytes >= 0)
        {
            migrationSpan?.SetTag(MittenTelemetry.Bytes, bytes);
        }
        phaseStart = now;
    }

    /// <summary>Closes the migration's span with its outcome (the moving rank, at the rollback or just before it leaves).</summary>
    private void EndMigrationSpan(MigrationOutcome outcome, string reason)
    {
        if (migrationSpan is not { } span)
        {
            return;
        }
        span.SetTag(MittenTelemetry.Outcome, outcome == MigrationOutcome.Committed ? "committed" : "rolled_back");
        if (reason.Length > 0)
        {
            span.SetTag(MittenTelemetry.Reason, reason);
            span.SetStatus(ActivityStatusCode.Error, reason);
        }
        MittenTelemetry.Stop(span);
        migrationSpan = null;
    }

    /// <summary>The replacement's spans, in the moving rank's trace: from its process start to its resume, with the restore and the commit.</summary>
    private static void RecordReplacementSpans(ReplacementHeader header, double stateArrivedMs, double restoredMs, double committedMs)
    {
        if (!MittenTelemetry.Source.HasListeners())
        {
            return;
        }
        ActivityContext parent = ActivityContext.TryParse(header.TraceParent, null, out ActivityContext context) ? context : default;
        DateTimeOffset started = new(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        Activity? span = MittenTelemetry.StartDetached("mitten.replacement", started, parent);
        span?.SetTag(MittenTelemetry.Rank, header.Rank)
            .SetTag(MittenTelemetry.MigrationId, header.MigrationId)
            .SetTag(MittenTelemetry.RequestId, header.RequestId)
            .SetTag(MittenTelemetry.FromHost, header.FromHost)
            .SetTag(MittenTelemetry.ToHost, Mpi.ProcessorName)
            .SetTag(MittenTelemetry.Bytes, header.StateBytes)
            .SetTag(MittenTelemetry.Outcome, "committed");
        MittenTelemetry.Phase("mitten.restore", span, MittenTelemetry.FromUnixMs(stateArrivedMs), MittenTelemetry.FromUnixMs(restoredMs), header.StateBytes)
            ?.SetTag(MittenTelemetry.Rank, header.Rank);
        MittenTelemetry.Phase("mitten.commit", span, MittenTelemetry.FromUnixMs(restoredMs), MittenTelemetry.FromUnixMs(committedMs))
            ?.SetTag(MittenTelemetry.Rank, header.Rank);
        MittenTelemetry.Stop(span);
    }

    /// <summary>A rank's part of a coordinated checkpoint, from the capture until its files are written.</summary>
    private Activity? StartCheckpointSpan(SynchronizationSession session)
    {
        Activity? span = MittenTelemetry.StartDetached("mitten.checkpoint", DateTimeOffset.UtcNow);
        span?.SetTag(MittenTelemetry.Rank, Rank)
            .SetTag(MittenTelemetry.MigrationId, session.Id)
            .SetTag(MittenTelemetry.RequestId, session.Request?.Id)
            .SetTag(MittenTelemetry.Directory, session.CheckpointDirectory);
        return span;
    }

    private static void EndCheckpointSpan(Activity? span, long epoch, long bytes, string reason)
    {
        if (span is null)
        {
            return;
        }
        span.SetTag(MittenTelemetry.Epoch, epoch).SetTag(MittenTelemetry.Bytes, bytes)
            .SetTag(MittenTelemetry.Outcome, reason.Length == 0 ? "written" : "failed");
        if (reason.Length > 0)
        {
            span.SetTag(MittenTelemetry.Reason, reason);
            span.SetStatus(ActivityStatusCode.Error, reason);
        }
        MittenTelemetry.Stop(span);
    }
}
