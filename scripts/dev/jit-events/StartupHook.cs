using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

/// <summary>
/// DOTNET_STARTUP_HOOKS entry: listens to the runtime's own events in this process and writes
/// one line per event to JITEVENTS_DIR/jitevents-PID.txt: UTC time (HH:mm:ss.ffffff), thread,
/// event name and the method or type it names. Only for diagnosing; it costs a dispatch thread.
/// </summary>
internal static class StartupHook
{
    private static Listener? listener;

    public static void Initialize()
    {
        string? dir = Environment.GetEnvironmentVariable("JITEVENTS_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            return;
        }
        Directory.CreateDirectory(dir);
        // Flushed at every line: a moving rank leaves without running ProcessExit handlers.
        var writer = new StreamWriter(Path.Combine(dir, $"jitevents-{Environment.ProcessId}.txt"), false, new UTF8Encoding(false), 1 << 16) { AutoFlush = true };
        listener = new Listener(writer);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => listener.Flush();
    }

    private sealed class Listener(StreamWriter writer) : EventListener
    {
        private readonly object gate = new();

        internal void Flush()
        {
            lock (gate)
            {
                writer.Flush();
            }
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                // JIT 0x10, Loader 0x8, Interop 0x2000, CompilationDiagnostic 0x2000000000, TypeDiagnostic 0x8000000000.
                const long keywords = 0x10 | 0x2000 | 0x2000000000 | 0x8000000000;
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)keywords);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            string what = e.EventName switch
            {
                "MethodJittingStarted_V1" or "MethodJittingStarted" => Payload(e, "MethodNamespace") + "::" + Payload(e, "MethodName") + " " + Payload(e, "MethodSignature"),
                "MethodLoadVerbose_V1" or "MethodLoadVerbose_V2" or "MethodLoadVerbose" => Payload(e, "MethodNamespace") + "::" + Payload(e, "MethodName") + " flags=" + Payload(e, "MethodFlags") + " opt=" + Payload(e, "OptimizationTier"),
                "R2RGetEntryPoint" => Payload(e, "MethodNamespace") + "::" + Payload(e, "MethodName") + " " + Payload(e, "MethodSignature"),
                "TypeLoadStop" => Payload(e, "TypeName") + " level=" + Payload(e, "LoadLevel"),
                "ILStubGenerated" => Payload(e, "StubMethodName") + " " + Payload(e, "ManagedInteropMethodNamespace") + "::" + Payload(e, "ManagedInteropMethodName"),
                _ => "",
            };
            if (e.EventName is "TypeLoadStart" or "MethodILToNativeMap" or "MethodDetails")
            {
                return;
            }
            string line = string.Create(CultureInfo.InvariantCulture, $"{e.TimeStamp.ToUniversalTime():HH:mm:ss.ffffff} t{e.OSThreadId} {e.EventName} {what}");
            lock (gate)
            {
                writer.WriteLine(line);
            }
        }

        private static string Payload(EventWrittenEventArgs e, string name)
        {
            int i = e.PayloadNames?.IndexOf(name) ?? -1;
            return i >= 0 ? Convert.ToString(e.Payload![i], CultureInfo.InvariantCulture) ?? "" : "";
        }
    }
}
