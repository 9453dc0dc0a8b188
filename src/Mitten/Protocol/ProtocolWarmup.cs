using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Compiles the migration protocol's code ahead of its first use, before the application gets
/// control. A migration runs the synchronization, drain and rebuild code once, so without this
/// every step would first wait for the JIT (measured: several milliseconds of "protocol time"
/// per migration, most of it compiling).
/// On an original rank <see cref="Start"/> compiles synchronously inside
/// <c>MittenSession.Start</c> (about 0.1-0.2 s of CPU once, see bench/RESULTS.md), and
/// <see cref="ExerciseMigrationPoint"/> then runs the migration point's fast-path operations
/// once without effect, so that neither compiling nor a first-use cost of Open MPI lands in the
/// application's first iteration, and no thread competes with the ranks afterwards (on a
/// machine with as many ranks as cores a background compiler takes a core from a rank).
/// A replacement compiles on a background thread (<see cref="StartInBackground"/>): it joins a
/// group that is already running, whose next collective would otherwise wait for it.
/// Set MITTEN_PREJIT=0 to turn both off; MITTEN_STARTUP_REPORT=1 prints what the start-up
/// cost on stderr ("mitten-startup rank=R prejit_ms=... methods=... exercise_ms=... exercised=yes|no").
/// In a program compiled with Native AOT there is nothing to compile (<see cref="CanCompile"/>):
/// the compiling and the codec's round trip are skipped; what runs code once (the migration
/// point's exercise, the header's codec, the state channels' native calls) still runs.
/// </summary>
internal static partial class ProtocolWarmup
{
    /// <summary>True where methods are compiled at run time (the JIT); false under Native AOT, where the whole program was compiled when it was published.</summary>
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    internal static bool CanCompile => RuntimeFeature.IsDynamicCodeSupported;

    private static int started;

    /// <summary>Wall-clock milliseconds the synchronous compilation took on this process (0 when it did not run).</summary>
    internal static double CompileMilliseconds { get; private set; }

    /// <summary>Methods prepared by the compilation.</summary>
    internal static int MethodsPrepared { get; private set; }

    /// <summary>Wall-clock milliseconds of <see cref="ExerciseMigrationPoint"/> (0 when it did not run).</summary>
    internal static double ExerciseMilliseconds { get; private set; }

    /// <summary>Wall-clock milliseconds of <see cref="WarmCodec"/> (0 when it did not run), and what it reported.</summary>
    internal static double CodecMilliseconds { get; private set; }

    private static string codecOutcome = "no";

    private static bool Disabled => Environment.GetEnvironmentVariable("MITTEN_PREJIT") == "0";

    private static bool ReportStartup => Environment.GetEnvironmentVariable("MITTEN_STARTUP_REPORT") == "1";

    /// <summary>Compiles the protocol now, on the calling thread (once per process).</summary>
    internal static void Start()
    {
        if (Disabled || Interlocked.Exchange(ref started, 1) == 1)
        {
            return;
        }
        long begin = Stopwatch.GetTimestamp();
        MethodsPrepared = CanCompile ? CompileAll() : 0;
        InitializeHeaderCodec();
        CompileMilliseconds = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
    }

    /// <summary>
    /// Compiles the protocol on a background thread at normal priority (a replacement; once per
    /// process), then warms <paramref name="codec"/>'s save path for when this rank moves again.
    /// </summary>
    internal static void StartInBackground(object codec)
    {
        if (Disabled || Interlocked.Exchange(ref started, 1) == 1 || !CanCompile)
        {
            return; // Native AOT: nothing to compile; the codec's round trip only compiles (WarmCodec)
        }
        var thread = new Thread(() =>
        {
            MethodsPrepared = CompileAll();
            WarmCodec(codec);
        })
        {
            IsBackground = true,
            Name = "mitten-prejit",
        };
        thread.Start();
    }

    /// <summary>
    /// Runs what a migration point does when nothing migrates, once and without effect, on an
    /// original rank before the application starts: the probe for requests on the control
    /// communicator (a probe consumes nothing) and a compare-and-swap on this rank's superstep
    /// word whose comparison cannot succeed (the word is never negative), so the first real
    /// migration point meets compiled code and a warmed window. Then prints the start-up
    /// figures when MITTEN_STARTUP_REPORT=1.
    /// </summary>
    internal static void ExerciseMigrationPoint(GroupProtocol protocol, Type sessionType, object codec)
    {
        bool exercised = false;
        if (!Disabled)
        {
            long begin = Stopwatch.GetTimestamp();
            // The session's (generic) wrappers the application calls first.
            if (CanCompile)
            {
                Prepare(sessionType, "MigrationPoint");
                Prepare(typeof(MittenCommunicator), null);
            }
            RuntimeHelpers.RunClassConstructor(typeof(ProtocolTrace).TypeHandle); // read at every migration point
            protocol.ExerciseIdleMigrationPoint();
            protocol.ExerciseSynchronization();
            GroupProtocol.WarmPreparedCollections();
            protocol.ExerciseDrainBookkeeping();
            ExerciseStateChannels();
            exercised = true;
            ExerciseMilliseconds = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            WarmCodec(codec); // the moving rank's capture (Save) path; measured on its own
        }
        if (ReportStartup)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mitten-startup rank={protocol.Rank} prejit_ms={CompileMilliseconds:F1} methods={MethodsPrepared} exercise_ms={ExerciseMilliseconds:F3} exercised={(exercised ? "yes" : "no")} codec_ms={CodecMilliseconds:F1} codec={codecOutcome}"));
        }
    }

    /// <summary>
    /// On a warm spare, once it is warm (MITTEN_STARTUP_REPORT=1): "mitten-startup spare
    /// pid=P compile_ms=... codec_ms=... codec=warmed:NB|prepared|failed:TYPE|no" (compile_ms, not
    /// prejit_ms: the overhead benchmark takes prejit_ms from every start-up line it finds).
    /// </summary>
    internal static void ReportSpareStartup()
    {
        if (ReportStartup)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mitten-startup spare pid={Environment.ProcessId} compile_ms={CompileMilliseconds:F1} codec_ms={CodecMilliseconds:F1} codec={codecOutcome}"));
        }
    }

    /// <summary>
    /// Runs the application codec's save and restore once on a stand-in of its state
    /// (<see cref="CodecWarmup"/>; never the application's state), when the codec can do that
    /// (those of <see cref="MigratableCodec"/>); for another codec only its own methods are
    /// compiled. A stand-in the codec cannot handle costs nothing but the compile-on-first-use
    /// it was meant to avoid: the failure is noted for MITTEN_STARTUP_REPORT and ignored.
    /// </summary>
    internal static void WarmCodec(object codec)
    {
        if (Disabled)
        {
            return;
        }
        if (!CanCompile)
        {
            codecOutcome = "aot"; // compiled when published; the round trip left nothing else behind that a migration uses
            return;
        }
        long begin = Stopwatch.GetTimestamp();
        if (codec is IWarmableStateCodec warmable)
        {
            try
            {
                codecOutcome = string.Create(CultureInfo.InvariantCulture, $"warmed:{warmable.Warm()}B");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever a stand-in makes the application's generated code throw, the warm-up
                // must never stop the program: the state is still saved and restored as before.
                codecOutcome = "failed:" + e.GetType().Name;
            }
        }
        else
        {
            Prepare(codec.GetType(), null);
            codecOutcome = "prepared";
        }
        CodecMilliseconds = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
    }

    /// <summary>
    /// Both ends of a same-host state transfer once, inside this process and without MPI: an
    /// anonymous memory file written, opened through /proc, read and its pages given back
    /// (<see cref="SharedMemoryStateSender.ExerciseFileCalls"/>), so their native call stubs exist.
    /// </summary>
    internal static void ExerciseStateChannels()
    {
        try
        {
            SharedMemoryStateSender.ExerciseFileCalls();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StateTransferException)
        {
            // Compiled on first use instead; the transfer reports its own failure then.
        }
    }

    /// <summary>
    /// Records when <c>MittenSession.Start</c> was entered and how long MPI_Init took there; on a
    /// replacement (a spawned process) prints, when MITTEN_STARTUP_REPORT=1, "mitten-startup
    /// replacement pid=P process_ms=... before_init_ms=... mpi_init_ms=...": the process's age when
    /// Start was entered (the .NET start-up and the program's own code before it), Mitten's work
    /// before MPI_Init, and MPI_Init (which on a spawned process includes joining its parent).
    /// </summary>
    internal static void NoteStartup(long entered, long initStart, long initEnd)
    {
        if (!ReportStartup || Mpi.IsInitialized && GroupComm.Communicator.GetParent() is null)
        {
            return;
        }
        double processMs = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds - Stopwatch.GetElapsedTime(entered).TotalMilliseconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mitten-startup replacement pid={Environment.ProcessId} process_ms={processMs:F0} before_init_ms={Stopwatch.GetElapsedTime(entered, initStart).TotalMilliseconds:F1} mpi_init_ms={Stopwatch.GetElapsedTime(initStart, initEnd).TotalMilliseconds:F1} pml={Environment.GetEnvironmentVariable("OMPI_MCA_pml") ?? "(searched)"}"));
    }

    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A best-effort warm-up: a type trimming removed is never used, so nothing the program runs is left out; one that is not found is skipped.")]
    private static int CompileAll()
    {
        int prepared = 0;
        // The protocol's own types (everything under Mitten.Protocol, Mitten.Control and
        // Mitten.Diagnostics, which the protocol logs through): their methods, constructors (the
        // control messages are records, closures are classes) and type initializers. Compiling a
        // small method at Tier0 costs 0.1-0.3 ms; a migration touches about a hundred of them, so
        // every one left to first use is protocol time (bench/RESULTS.md, "the JIT in the protocol").
        foreach (Type type in typeof(ProtocolWarmup).Assembly.GetTypes())
        {
            if (type.Namespace is "Mitten.Protocol" or "Mitten.Protocol.Messages" or "Mitten.Protocol.Spares" or "Mitten.Control" or "Mitten.Diagnostics"
                && !type.ContainsGenericParameters)
            {
                prepared += Compile(type, null);
                InitializeType(type);
            }
        }
        // The binding's calls the protocol makes, with the element types it uses.
        prepared += Compile(typeof(Window<long>), null);
        prepared += Compile(typeof(Communicator), null);
        prepared += Compile(typeof(Communicator), [typeof(long)]);
        prepared += Compile(typeof(Communicator), [typeof(byte)]);
        prepared += Compile(typeof(RequestHandle), null);
        prepared += Compile(typeof(RequestHandle), [typeof(byte)]);
        prepared += Compile(typeof(RequestHandle), [typeof(long)]);
        prepared += Compile(typeof(Group), null);                   // the pool's rank translation
        prepared += Compile(typeof(Status), null);
        prepared += Compile(typeof(Info), null);
        prepared += Compile(typeof(Mpi), null);
        prepared += Compile(typeof(Status), [typeof(byte)]);
        prepared += Compile(typeof(Checkpoint.Communication.ReceivedMessageList), null);
        if (GroupProtocol.WarmDrain)
        {
            prepared += Compile(typeof(Op), null); // the freeze's fetch-and-or names its operation
        }
        // The binding's type initializers the protocol's first calls run (the datatype table is internal to the binding).
        Type? datatype = typeof(Communicator).Assembly.GetType("Mitten.GroupComm.Datatype`1");
        foreach (Type type in new[] { typeof(Status), typeof(RequestHandle), typeof(Info) })
        {
            InitializeType(type);
        }
        foreach (Type element in new[] { typeof(long), typeof(byte), typeof(int) })
        {
            if (datatype is not null)
            {
                // Its methods too: the ReadyToRun image lacks some (Count, compiled inside the drain otherwise).
                if (GroupProtocol.WarmDrain)
                {
                    prepared += Compile(datatype.MakeGenericType(element), null);
                }
                InitializeType(datatype.MakeGenericType(element));
            }
        }
        return prepared;
    }

    /// <summary>The header's encoding, run once (a moving rank encodes it right after the spawn returns).</summary>
    private static void InitializeHeaderCodec() => _ = Messages.HeaderCodec.Encode(new ReplacementHeader());

    /// <summary>Prepares the non-generic methods of <paramref name="type"/> (all, or those named <paramref name="name"/>).</summary>
    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A best-effort warm-up: a method trimming removed is never called.")]
    private static void Prepare(Type type, string? name)
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (MethodInfo method in type.GetMethods(All))
        {
            if ((name is null || method.Name == name) && !method.IsAbstract && !method.ContainsGenericParameters)
            {
                _ = TryPrepare(method.MethodHandle, [.. type.GetGenericArguments().Select(t => t.TypeHandle)]);
            }
        }
    }

    /// <summary>Runs <paramref name="type"/>'s type initializer now (it reads settings or creates a source; nothing that depends on when it runs).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2059", Justification = "A best-effort warm-up: a type initializer trimming removed never runs anyway.")]
    private static void InitializeType(Type type)
    {
        try
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }
        catch (TypeInitializationException)
        {
            // It throws again, with its reason, where the type is first used.
        }
    }

    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A best-effort warm-up: a method or constructor trimming removed is never called.")]
    private static int Compile(Type type, Type[]? instantiation)
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        int prepared = 0;
        if (instantiation is null)
        {
            foreach (ConstructorInfo constructor in type.GetConstructors(All))
            {
                if (!constructor.IsStatic) // a static one is run by InitializeType
                {
                    prepared += TryPrepare(constructor.MethodHandle);
                }
            }
        }
        foreach (MethodInfo method in type.GetMethods(All))
        {
            if (method.IsAbstract || method.ContainsGenericParameters && !method.IsGenericMethodDefinition)
            {
                continue;
            }
            if (method.IsGenericMethodDefinition)
            {
                if (instantiation is not null && method.GetGenericArguments().Length == instantiation.Length)
                {
                    prepared += TryPrepare(method.MethodHandle, [.. instantiation.Select(t => t.TypeHandle)]);
                }
            }
            else if (instantiation is null)
            {
                prepared += TryPrepare(method.MethodHandle);
            }
        }
        return prepared;
    }

    /// <summary>
    /// Compiles one method (over <paramref name="instantiation"/> when it or its type is generic);
    /// 1 if it was compiled, 0 if it cannot be prepared this way (e.g. a constraint the
    /// instantiation does not meet): it is then compiled on first use instead.
    /// </summary>
    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    private static int TryPrepare(RuntimeMethodHandle method, RuntimeTypeHandle[]? instantiation = null)
    {
        try
        {
            if (instantiation is null)
            {
                RuntimeHelpers.PrepareMethod(method);
            }
            else
            {
                RuntimeHelpers.PrepareMethod(method, instantiation);
            }
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or TypeLoadException)
        {
            return 0;
        }
    }
}
