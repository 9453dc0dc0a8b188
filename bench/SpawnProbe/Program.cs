using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mitten.GroupComm;

// The C# child of bench/native/spawnab.c (issue 12: why a spawned .NET replacement's MPI_Init is
// longer than a C program's). Spawned by that parent, it initializes MPI through the binding as a
// Mitten replacement does (the library loaded by Mpi.IsInitialized, then Mpi.Init) and sends the
// parent its clock readings: pid, main entered, library loaded, MPI_Init began and ended (Unix ms),
// processor ms before MPI_Init, in it (process, calling thread), threads when it began.
// Variants (environment, set through the spawn's "env" info key):
//   SPAWNPROBE_THREAD=single|funneled|serialized|multiple   the level asked for (default single, as Mitten)
//   SPAWNPROBE_SIGNAL=1    a SIGUSR2 handler registered first (as MittenSession.Start does)
//   SPAWNPROBE_JIT=1       a background thread at nice 10 compiles the binding's and System.Text.Json's
//                          methods while MPI_Init runs (as the replacement's warm-up before MPI_Init)
//   SPAWNPROBE_SPIN=1      a background thread at nice 10 spins while MPI_Init runs (processor only)
//   SPAWNPROBE_DLOPEN=now  libmpi opened first with RTLD_NOW|RTLD_GLOBAL (the binding uses RTLD_LAZY|RTLD_GLOBAL)
// and any DOTNET_* setting of the runtime.

const int ProcessCpu = 2, ThreadCpu = 3;
double entered = NowMs();
_ = CpuMs(ProcessCpu);
_ = CpuMs(ThreadCpu);
string level = Environment.GetEnvironmentVariable("SPAWNPROBE_THREAD") ?? "single";
PosixSignalRegistration? signal = Environment.GetEnvironmentVariable("SPAWNPROBE_SIGNAL") == "1"
    ? PosixSignalRegistration.Create((PosixSignal)12, context => context.Cancel = true)
    : null;
if (Environment.GetEnvironmentVariable("SPAWNPROBE_DLOPEN") == "now")
{
    _ = Native.DlOpen("libmpi.so.40", 0x0002 | 0x0100);
}
_ = Mpi.IsInitialized; // loads libmpi and resolves the binding's functions
double loaded = NowMs();
using var stop = new ManualResetEventSlim();
Thread? background = Environment.GetEnvironmentVariable("SPAWNPROBE_JIT") == "1" ? Start(Compile)
    : Environment.GetEnvironmentVariable("SPAWNPROBE_SPIN") == "1" ? Start(() => { while (!stop.IsSet) { Thread.SpinWait(1000); } })
    : null;
int threads = Threads();
double cpu0 = CpuMs(ProcessCpu), thread0 = CpuMs(ThreadCpu), t0 = NowMs();
Mpi.Init(level switch
{
    "funneled" => ThreadLevel.Funneled,
    "serialized" => ThreadLevel.Serialized,
    "multiple" => ThreadLevel.Multiple,
    _ => ThreadLevel.Single,
});
double t1 = NowMs(), cpu1 = CpuMs(ProcessCpu), thread1 = CpuMs(ThreadCpu);
stop.Set();
Communicator parent = Communicator.GetParent() ?? throw new InvalidOperationException("SpawnProbe runs as a spawned child of spawnab");
double[] fields = [Environment.ProcessId, entered, loaded, t0, t1, cpu0, cpu1 - cpu0, thread1 - thread0, threads, 0];
parent.Send<double>(fields, 0, 1);
parent.Disconnect();
background?.Join();
signal?.Dispose();
Mpi.Finalize();
return 0;

static Thread Start(Action work)
{
    var thread = new Thread(() =>
    {
        _ = Native.SetPriority(0, Native.GetThreadId(), 10);
        work();
    })
    { IsBackground = true, Name = "spawnprobe-background" };
    thread.Start();
    return thread;
}

static void Compile()
{
    foreach (Type type in typeof(Communicator).Assembly.GetTypes().Concat(typeof(System.Text.Json.JsonSerializer).Assembly.GetTypes().Take(300)))
    {
        if (type.ContainsGenericParameters)
        {
            continue;
        }
        foreach (var method in type.GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
        {
            if (method.IsAbstract || method.ContainsGenericParameters)
            {
                continue;
            }
            try
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or TypeLoadException or BadImageFormatException)
            {
            }
        }
    }
}

static double NowMs() => DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalMilliseconds;

static unsafe double CpuMs(int clock)
{
    Native.Timespec t;
    _ = Native.ClockGettime(clock, &t);
    return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
}

static int Threads()
{
    foreach (string line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("Threads:", StringComparison.Ordinal))
        {
            return int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
        }
    }
    return -1;
}

internal static unsafe partial class Native
{
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    internal static partial int ClockGettime(int clock, Timespec* time);

    [LibraryImport("libc", EntryPoint = "setpriority")]
    internal static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint DlOpen(string file, int flags);
}
