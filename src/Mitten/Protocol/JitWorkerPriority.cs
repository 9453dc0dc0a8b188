using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Protocol;

/// <summary>
/// The runtime's tiered-compilation worker (the thread that recompiles hot methods at tier 1 in
/// the background) at the lowest priority (nice 19) while this process waits in a migration for
/// the moving rank, and in the moving rank while it spawns the replacement. A migration early in a
/// job meets every process's backlog of start-up promotions, and the protocol's wait loops become
/// hot there too: on the 2-core machine with 8 ranks those workers took about 220 ms of processor
/// in a 330 ms spawn, and the spawned replacement's MPI_Init (which waits for mpiexec's work, a
/// processor-bound step) took 190-210 ms instead of the 110-130 ms it takes with the job's tiering
/// off (bench/RESULTS.md, "spawn14"). At nice 19 the worker runs on processor time nobody else
/// wants; the compiles are only postponed. Linux only; MITTEN_JIT_NICE=0 turns it off.
/// Raising a thread's priority again needs CAP_SYS_NICE (or RLIMIT_NICE): without it
/// <see cref="Restore"/> leaves the worker at nice 19 until the runtime retires it (it does after
/// a few idle seconds; its successor starts at the creating thread's priority).
/// </summary>
internal static partial class JitWorkerPriority
{
    /// <summary>The worker's name as /proc shows it (".NET Tiered Compilation Worker", cut to 15 bytes).</summary>
    private const string WorkerName = ".NET Tiered Com";
    private const int Lowest = 19;

    private static readonly bool Enabled = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MITTEN_JIT_NICE") != "0"
        && System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported; // Native AOT: no JIT, no worker
    private static readonly List<int> lowered = [];

    /// <summary>Sets the tiered-compilation worker(s) of this process to nice 19 (protocol thread only; a worker already lowered is skipped); returns how many are lowered now.</summary>
    internal static int Lower()
    {
        if (!Enabled)
        {
            return 0;
        }
        try
        {
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == WorkerName
                    && int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
                    && !lowered.Contains(tid)
                    && SetPriority(0, tid, Lowest) == 0)
                {
                    lowered.Add(tid);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            // No /proc or no setpriority: the worker keeps its priority.
        }
        return lowered.Count;
    }

    /// <summary>Gives the worker(s) <see cref="Lower"/> lowered their priority back where allowed (see the class notes).</summary>
    internal static void Restore()
    {
        foreach (int tid in lowered)
        {
            _ = SetPriority(0, tid, 0); // EPERM without CAP_SYS_NICE; ESRCH if the worker has ended
        }
        lowered.Clear();
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority); // PRIO_PROCESS with a thread id: that thread only
}
