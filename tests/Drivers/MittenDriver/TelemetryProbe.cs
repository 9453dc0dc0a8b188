using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Mitten.Tests.Drivers;

/// <summary>
/// --telemetry: what an application's logging and tracing get from Mitten. Registers an
/// <see cref="ActivityListener"/> on the "Mitten" source and gives the session a logger
/// factory; every span prints a SPAN line and every message a LOG line on stdout.
/// </summary>
internal static class TelemetryProbe
{
    private static ActivityListener? listener;

    internal static Mitten.MittenOptions Attach()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Mitten.MittenDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                string tags = string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
                Console.WriteLine($"SPAN name={activity.OperationName} pid={Environment.ProcessId} trace={activity.TraceId} " +
                                  $"span={activity.SpanId} parent={activity.ParentSpanId} ms={activity.Duration.TotalMilliseconds:F1} {tags}");
            },
        };
        ActivitySource.AddActivityListener(listener);
        return new Mitten.MittenOptions { LoggerFactory = new PrintingLoggerFactory() };
    }

    private sealed class PrintingLoggerFactory : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new PrintingLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }
    }

    private sealed class PrintingLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The structured fields too: an application's logging sees them by name.
            string fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Where(p => p.Key != "{OriginalFormat}").Select(p => $"{p.Key}={p.Value}"))
                : "";
            Console.WriteLine($"LOG category={category} level={logLevel} event={eventId.Id} pid={Environment.ProcessId} [{fields}] {formatter(state, exception)}");
        }
    }
}
