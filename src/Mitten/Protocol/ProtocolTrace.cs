namespace Mitten.Protocol;

/// <summary>Protocol events on stderr when MITTEN_TRACE=1 (for diagnosing a migration).</summary>
internal static class ProtocolTrace
{
    internal static readonly bool Enabled = Environment.GetEnvironmentVariable("MITTEN_TRACE") == "1";

    internal static void Write(int rank, string text)
    {
        if (Enabled)
        {
            Console.Error.WriteLine($"[mitten {DateTime.UtcNow:HH:mm:ss.fff} r{rank} pid{Environment.ProcessId}] {text}");
        }
    }
}
