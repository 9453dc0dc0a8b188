using System.Diagnostics;

namespace Mitten.Diagnostics;

/// <summary>
/// Mitten's spans (see <see cref="MittenDiagnostics"/>): one <see cref="ActivitySource"/>, used
/// only at migration and checkpoint time. Phases are recorded when they end, with their start
/// time, so the protocol's code marks a phase boundary with one call and nothing is started
/// or kept open when no listener exists.
/// </summary>
internal static class MittenTelemetry
{
    internal static readonly ActivitySource Source = new(MittenDiagnostics.ActivitySourceName,
        typeof(MittenTelemetry).Assembly.GetName().Version?.ToString(3));

    internal const string Rank = "mitten.rank";
    internal const string MigrationId = "mitten.migration_id";
    internal const string RequestId = "mitten.request_id";
    internal const string FromHost = "mitten.from_host";
    internal const string ToHost = "mitten.to_host";
    internal const string Bytes = "mitten.bytes";
    internal const string Outcome = "mitten.outcome";
    internal const string Reason = "mitten.reason";
    internal const string Epoch = "mitten.epoch";
    internal const string Directory = "mitten.directory";

    /// <summary>
    /// Starts a span that stays open across calls (a migration) without becoming the thread's
    /// <see cref="Activity.Current"/>: the application's own spans are not parented to it.
    /// </summary>
    internal static Activity? StartDetached(string name, DateTimeOffset start, ActivityContext parent = default)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        Activity? current = Activity.Current;
        Activity? activity = Source.StartActivity(name, ActivityKind.Internal, parent, startTime: start);
        Activity.Current = current;
        return activity;
    }

    /// <summary>A finished phase from <paramref name="start"/> to <paramref name="end"/> under <paramref name="parent"/>.</summary>
    internal static Activity? Phase(string name, Activity? parent, DateTimeOffset start, DateTimeOffset end, long bytes = -1) =>
        Phase(name, parent?.Context ?? default, start, end, bytes);

    internal static Activity? Phase(string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end, long bytes = -1)
    {
        Activity? activity = StartDetached(name, start, parent);
        if (activity is null)
        {
            return null;
        }
        if (bytes >= 0)
        {
            activity.SetTag(Bytes, bytes);
        }
        activity.SetEndTime(end.UtcDateTime);
        Stop(activity);
        return activity;
    }

    /// <summary>Stops a detached span, leaving <see cref="Activity.Current"/> as it was.</summary>
    internal static void Stop(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }
        Activity? current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }

    internal static DateTimeOffset FromUnixMs(double unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(0).AddMilliseconds(unixMs);
}
