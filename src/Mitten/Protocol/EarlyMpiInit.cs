using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// A spawned replacement's MPI_Init started before the program's Main (issue 12, the migration
/// without a spare). The moving rank names Mitten as a .NET start-up hook in the spawn's
/// environment (<see cref="SpawnEnvironment"/>); the runtime calls <see cref="global::StartupHook.Initialize"/>
/// before Main, which starts MPI_Init on a thread of its own (and the replacement's compile before
/// MPI_Init, <see cref="ProtocolWarmup.StartBeforeInitOnSpawnedReplacement"/>). The program's own
/// start (Main compiled at first call, its arguments, its codec's registry) and Mitten's work before
/// MPI_Init then run while MPI_Init waits for the job's daemon and the parent, instead of before it;
/// <see cref="MittenSession{TState}.Start(Func{TState}, IStateCodec{TState}, MittenOptions?)"/>
/// waits for that thread (<see cref="Await"/>) before its first MPI call.
/// MPI is initialized at <see cref="ThreadLevel.Single"/> as Start would: every MPI call after
/// MPI_Init comes from the main thread, and none while MPI_Init runs (Start joins the thread first;
/// MPI_Initialized, which MPI allows from any thread at any time, is not called before the join).
/// Open MPI 4.1 keeps no per-thread state of the initializing thread at that level.
/// MITTEN_EARLY_INIT=0 (in the moving rank's environment) turns it off; a program compiled with
/// Native AOT has no start-up hooks (and starts in ~25 ms), so nothing is passed to it.
/// </summary>
internal static class EarlyMpiInit
{
    /// <summary>The setting that turns the early MPI_Init off ("0").</summary>
    internal const string Variable = "MITTEN_EARLY_INIT";

    private const string HookVariable = "DOTNET_STARTUP_HOOKS";

    private static Thread? thread;
    private static Exception? failure;
    private static long hookTicks;
    private static double initMs;

    /// <summary>
    /// The settings the moving rank adds to a replacement's spawn environment: the start-up hook,
    /// named by assembly (found in the program's own directory), appended to any hooks the job
    /// already names. None when turned off or in a Native AOT program.
    /// </summary>
    internal static IEnumerable<string> SpawnEnvironment()
    {
        if (Environment.GetEnvironmentVariable(Variable) == "0" || !RuntimeFeature.IsDynamicCodeSupported)
        {
            yield break;
        }
        string hook = typeof(EarlyMpiInit).Assembly.GetName().Name!;
        string? existing = Environment.GetEnvironmentVariable(HookVariable);
        yield return HookVariable + "=" + (string.IsNullOrEmpty(existing) ? hook : existing + Path.PathSeparator + hook);
    }

    /// <summary>
    /// Called by the start-up hook before Main: on a spawned replacement (MITTEN_SPAWNED_REPLACEMENT=1)
    /// starts the compile before MPI_Init and MPI_Init itself on a background thread. Anywhere else
    /// (a process that inherited the hook) nothing.
    /// </summary>
    internal static void StartIfSpawnedReplacement()
    {
        if (Environment.GetEnvironmentVariable(ProtocolWarmup.SpawnedReplacementVariable) != "1")
        {
            return;
        }
        hookTicks = Stopwatch.GetTimestamp();
        ProtocolWarmup.StartBeforeInitOnSpawnedReplacement(); // clears MITTEN_SPAWNED_REPLACEMENT: Start does not start it again
        thread = new Thread(() =>
        {
            long begin = Stopwatch.GetTimestamp();
            try
            {
                _ = Mpi.Init(ThreadLevel.Single);
            }
            catch (Exception e)
            {
                failure = e;
            }
            initMs = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
        })
        {
            IsBackground = true,
            Name = "mitten-mpi-init",
        };
        thread.Start();
    }

    /// <summary>
    /// Waits for the MPI_Init started before Main, if any, and rethrows its failure; the first thing
    /// Start does with MPI. With MITTEN_STARTUP_REPORT=1 prints "mitten-early-init pid=P
    /// hook_age_ms=... init_ms=... waited_ms=...": the process's age when the hook ran, MPI_Init's
    /// own time on its thread, and how long Start waited for it.
    /// </summary>
    internal static void Await()
    {
        if (thread is not { } started)
        {
            return;
        }
        long begin = Stopwatch.GetTimestamp();
        started.Join();
        thread = null;
        double waitedMs = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
        if (Environment.GetEnvironmentVariable("MITTEN_STARTUP_REPORT") == "1")
        {
            // The age is read here, not in the hook, which runs on the critical path.
            double sinceHookMs = Stopwatch.GetElapsedTime(hookTicks).TotalMilliseconds;
            double processAgeAtHookMs = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds - sinceHookMs;
            Console.Error.WriteLine(FormattableString.Invariant(
                $"mitten-early-init pid={Environment.ProcessId} hook_age_ms={processAgeAtHookMs:F0} init_ms={initMs:F1} waited_ms={waitedMs:F1} hook_to_start_ms={sinceHookMs - waitedMs:F1}"));
        }
        ProtocolTrace.Write(-1, FormattableString.Invariant($"replacement: MPI_Init began before Main (start-up hook), took {initMs:F1} ms; Start waited {waitedMs:F1} ms for it"));
        if (failure is { } e)
        {
            ExceptionDispatchInfo.Throw(e);
        }
    }
}
