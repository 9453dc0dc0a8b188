namespace Mitten.Protocol;

/// <summary>
/// Test-only faults at named protocol steps, so the tests can kill or stop a participant exactly
/// there: MITTEN_TEST_FAULT=WHO:STEP:ACTION, WHO a rank number or "replacement", ACTION "kill"
/// (SIGKILL) or "stop" (SIGSTOP). Steps: frozen, stopped, drained, spawned, state_sent (moving
/// rank); restoring, restored, joined (replacement); decided (every rank, after DECISION commit);
/// ready (WHO "spare": every warm spare started with the job, just after it reported ready,
/// before it waits; WHO "replenished": every spare started to replace a used one, likewise).
/// A replacement gets the setting through the migration header (also a spare taken as one);
/// a spare reads MITTEN_TEST_FAULT from its environment. Unset: one field test per step.
/// </summary>
internal static class FaultInjection
{
    internal static string? Setting { get; private set; } = Environment.GetEnvironmentVariable("MITTEN_TEST_FAULT");

    internal static void UseSetting(string? setting) => Setting = setting;

    /// <summary>Applies the configured fault if it names this step and this process.</summary>
    internal static void At(string step, int rank, bool replacement = false) =>
        At(step, replacement ? "replacement" : rank.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Applies the configured fault if it names this step and <paramref name="who"/> (a rank number, "replacement" or "spare").</summary>
    internal static void At(string step, string who)
    {
        if (Setting is not { } setting)
        {
            return;
        }
        string[] parts = setting.Split(':');
        if (parts.Length != 3 || parts[1] != step || parts[0] != who)
        {
            return;
        }
        Console.Error.WriteLine($"mitten: test fault: {parts[2]} {(who is "replacement" or "spare" ? "the " + who : who == "replenished" ? "the replenished spare" : $"rank {who}")} at step {step} (process {Environment.ProcessId})");
        Console.Error.Flush();
        _ = kill(Environment.ProcessId, parts[2] == "stop" ? 19 : 9);
        Thread.Sleep(100); // the signal is delivered; a stopped process continues here after SIGCONT
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int signal);
}
