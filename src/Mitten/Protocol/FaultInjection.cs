namespace Mitten.Protocol;

/// <summary>
/// Test-only faults at named protocol steps, so the tests can kill or stop a participant exactly
/// there: MITTEN_TEST_FAULT=WHO:STEP:ACTION, WHO a rank number or "replacement", ACTION "kill"
/// (SIGKILL) or "stop" (SIGSTOP). Steps: frozen, stopped, drained, spawned, state_sent (moving
/// rank); restoring, restored, joined (replacement); decided (every rank, after DECISION commit).
/// A replacement gets the setting through the migration header. Unset: one field test per step.
/// </summary>
internal static class FaultInjection
{
    internal static string? Setting { get; private set; } = Environment.GetEnvironmentVariable("MITTEN_TEST_FAULT");

    internal static void UseSetting(string? setting) => Setting = setting;

    /// <summary>Applies the configured fault if it names this step and this process.</summary>
    internal static void At(string step, int rank, bool replacement = false)
    {
        if (Setting is not { } setting)
        {
            return;
        }
        string[] parts = setting.Split(':');
        if (parts.Length != 3 || parts[1] != step || parts[0] != (replacement ? "replacement" : rank.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            return;
        }
        Console.Error.WriteLine($"mitten: test fault: {parts[2]} {(replacement ? "the replacement" : $"rank {rank}")} at step {step} (process {Environment.ProcessId})");
        Console.Error.Flush();
        _ = kill(Environment.ProcessId, parts[2] == "stop" ? 19 : 9);
        Thread.Sleep(100); // the signal is delivered; a stopped process continues here after SIGCONT
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int signal);
}
