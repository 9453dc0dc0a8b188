namespace Mitten;

/// <summary>
/// Names under which Mitten reports to an application's logging and tracing.
/// Spans (<see cref="System.Diagnostics.Activity"/>) come from one
/// <see cref="System.Diagnostics.ActivitySource"/> named <see cref="ActivitySourceName"/>
/// (with OpenTelemetry: <c>AddSource(MittenDiagnostics.ActivitySourceName)</c>); they are made
/// only at migration and checkpoint time, never per message, and only while a listener exists.
/// <list type="bullet">
/// <item><c>mitten.migration</c> on the moving rank, from the request until it commits or rolls back;
/// its children <c>mitten.synchronize</c>, <c>mitten.spawn</c>, <c>mitten.transfer</c>,
/// <c>mitten.restore</c> (waiting for the replacement's restore), <c>mitten.commit</c> or <c>mitten.rollback</c>.</item>
/// <item><c>mitten.replacement</c> on the new process, in the same trace, with children
/// <c>mitten.restore</c> and <c>mitten.commit</c>.</item>
/// <item><c>mitten.checkpoint</c> on every rank that writes a coordinated checkpoint.</item>
/// </list>
/// Tags: <c>mitten.rank</c>, <c>mitten.migration_id</c>, <c>mitten.request_id</c>,
/// <c>mitten.from_host</c>, <c>mitten.to_host</c>, <c>mitten.bytes</c>, <c>mitten.outcome</c>,
/// <c>mitten.reason</c>, <c>mitten.epoch</c>, <c>mitten.directory</c>.
/// </summary>
public static class MittenDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name of Mitten's spans: "Mitten".</summary>
    public const string ActivitySourceName = "Mitten";

    /// <summary>The logger category of Mitten's messages: "Mitten".</summary>
    public const string LoggerCategory = "Mitten";
}
