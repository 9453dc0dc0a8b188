using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Mitten.Checkpoint.State;

namespace Mitten.Protocol;

/// <summary>
/// The replacement's part of the warm-up (<see cref="ProtocolWarmup"/>): the state receiver and
/// the header's codec compiled before or right after MPI_Init on a spawned replacement, and the
/// wait for that compile before the restore.
/// </summary>
internal static partial class ProtocolWarmup
{
    /// <summary>
    /// On a replacement, first thing after MPI_Init: compiles the receiving side of the state
    /// transfer and the header's codec on a background thread, while the main thread says
    /// HELLO and waits for the header (the moving rank is writing it), so the restore path does
    /// not start with the JIT. Nothing to do when <see cref="StartBeforeInitOnSpawnedReplacement"/>
    /// already started that work before MPI_Init.
    /// </summary>
    internal static void PrepareStateReceiveInBackground()
    {
        if (Disabled || beforeInit is not null)
        {
            return;
        }
        var thread = new Thread(CompileStateReceive)
        {
            IsBackground = true,
            Name = "mitten-prejit-restore",
        };
        thread.Start();
    }

    private static void CompileStateReceive()
    {
        _ = Messages.HeaderCodec.Decode(Messages.HeaderCodec.Encode(new ReplacementHeader()));
        if (!CanCompile)
        {
            return; // Native AOT: nothing to compile
        }
        foreach (Type type in new[] { typeof(StateReceiver), typeof(SharedMemoryStateReceiver), typeof(MpiChunkStateReceiver), typeof(StateTransfer), typeof(ApplicationStateReader) })
        {
            Compile(type, null);
        }
        if (restoredStateType is { } stateType)
        {
            PrepareRestore(stateType);
        }
    }

    /// <summary>The application's state type, whose restore a spawned replacement prepares before MPI_Init (null: none).</summary>
    private static Type? restoredStateType;

    /// <summary>Methods <see cref="PrepareRestore"/> compiled and its milliseconds (for the trace).</summary>
    internal static int RestoreMethodsPrepared { get; private set; }

    internal static double RestorePrepareMilliseconds { get; private set; }

    /// <summary>
    /// What the restore of a <paramref name="stateType"/> meets first and the per-assembly
    /// ReadyToRun images lack (bench/RESULTS.md "spawn18", "spawn19"): the state type's own
    /// methods (its generated restore, its setters and after-restore code: the program's assembly
    /// has no precompiled code), the reader's generic reads instantiated over the state's
    /// primitive field and array element types, the restored arrays' allocation for those element
    /// types, and the reader's tables and checksum (run once, <see cref="StateReader.WarmTables"/>).
    /// Compiles; runs no application code and reads no state.
    /// </summary>
    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A best-effort warm-up: a field or method trimming removed is never used.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above.")]
    private static void PrepareRestore(Type stateType)
    {
        long begin = Stopwatch.GetTimestamp();
        int prepared = Compile(stateType, null);
        if (typeof(IMigratable).IsAssignableFrom(stateType) && !stateType.IsInterface)
        {
            foreach (MethodInfo method in stateType.GetInterfaceMap(typeof(IMigratable)).TargetMethods)
            {
                prepared += TryPrepare(method.MethodHandle);
            }
        }
        StateReader.WarmTables();
        prepared += Compile(typeof(StateReader), null); // its non-generic methods: the image has most; a few (SetBackReferences) it has not
        // The raw reads under Read<T>: bool, char, int and long, double read as byte, ushort, uint and ulong.
        var elements = new HashSet<Type> { typeof(bool), typeof(int), typeof(long), typeof(double), typeof(byte), typeof(ushort), typeof(uint), typeof(ulong) };
        var arrays = new HashSet<Type>();
        const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (Type? t = stateType; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (FieldInfo field in t.GetFields(Fields))
            {
                Type f = field.FieldType;
                if (f.IsPrimitive)
                {
                    elements.Add(f);
                }
                else if (f.IsArray && f.GetElementType() is { IsPrimitive: true } element)
                {
                    elements.Add(element);
                    arrays.Add(element);
                }
            }
        }
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        MethodInfo?[] reads =
        [
            typeof(StateReader).GetMethods(Instance).FirstOrDefault(m => m.Name == nameof(StateReader.Read) && m.IsGenericMethodDefinition && m.GetParameters().Length == 0),
            typeof(StateReader).GetMethod("ReadRaw", Instance),
        ];
        MethodInfo? allocate = typeof(RestoredArrays).GetMethod(nameof(RestoredArrays.Allocate));
        foreach (Type element in elements)
        {
            foreach (MethodInfo? read in reads)
            {
                prepared += PrepareGeneric(read, element);
            }
            if (arrays.Contains(element))
            {
                prepared += PrepareGeneric(allocate, element);
            }
        }
        RestoreMethodsPrepared = prepared;
        RestorePrepareMilliseconds = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
    }

    /// <summary>Compiles <paramref name="definition"/> over <paramref name="argument"/> (0 when it was not found or cannot be: compiled on first use, if ever used).</summary>
    [RequiresDynamicCode("compiles methods ahead of their use (the JIT only)")]
    private static int PrepareGeneric(MethodInfo? definition, Type argument) =>
        definition is null ? 0 : TryPrepare(definition.MethodHandle, [argument.TypeHandle]);

    /// <summary>
    /// The environment variable a moving rank sets, through the spawn's "env" info key, for the
    /// replacement it spawns (<see cref="StartBeforeInitOnSpawnedReplacement"/>); never set by users.
    /// </summary>
    internal const string SpawnedReplacementVariable = "MITTEN_SPAWNED_REPLACEMENT";

    private static Thread? beforeInit;
    private static long beforeInitTicks;

    /// <summary>Milliseconds the warm-up started before MPI_Init took (0 when none ran or it has not finished).</summary>
    internal static double BeforeInitMilliseconds { get; private set; }

    /// <summary>
    /// On a process spawned as a replacement (MITTEN_SPAWNED_REPLACEMENT=1, which the moving rank
    /// passes with the spawn), before MPI_Init: starts the compile of the state receiver and the
    /// header's codec (<see cref="PrepareStateReceiveInBackground"/>'s work) on a background
    /// thread at a lower priority (<see cref="LowerThisThreadsPriority"/>). MPI_Init of a spawned
    /// process spends most of its time waiting for Open MPI's daemon and its parent, so this
    /// runs in that wait; after MPI_Init it competed with the replacement's HELLO, the header's
    /// receive and the restore (bench/RESULTS.md, "The spawn path: where the time goes"). The
    /// application codec is not warmed here: its save and restore on a stand-in made MPI_Init
    /// longer (same section). Nothing here calls MPI. The variable is removed from the
    /// environment so that no process this one starts inherits it.
    /// </summary>
    internal static void StartBeforeInitOnSpawnedReplacement(Type stateType)
    {
        if (Environment.GetEnvironmentVariable(SpawnedReplacementVariable) != "1")
        {
            return;
        }
        restoredStateType = stateType;
        Environment.SetEnvironmentVariable(SpawnedReplacementVariable, null);
        if (Disabled)
        {
            return;
        }
        beforeInitTicks = Stopwatch.GetTimestamp();
        beforeInit = new Thread(() =>
        {
            LowerThisThreadsPriority();
            CompileStateReceive();
            BeforeInitMilliseconds = Stopwatch.GetElapsedTime(beforeInitTicks).TotalMilliseconds;
        })
        {
            IsBackground = true,
            Name = "mitten-prejit-spawned",
        };
        beforeInit.Start();
    }

    /// <summary>The nice value of the warm-up started before MPI_Init (Linux; lower priority than MPI_Init's thread).</summary>
    private const int BeforeInitNice = 10;

    /// <summary>
    /// Gives the calling thread (the warm-up before MPI_Init) nice <see cref="BeforeInitNice"/>
    /// where Linux allows it (.NET's thread priorities do nothing there): on a machine with fewer
    /// cores than processes it then takes the processor only while MPI_Init and the job's daemon
    /// wait, not from them. Anywhere else it runs at normal priority.
    /// </summary>
    private static void LowerThisThreadsPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = SetPriority(0, GetThreadId(), BeforeInitNice); // PRIO_PROCESS with a thread id: that thread only
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Normal priority then.
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();

    /// <summary>At most this long <see cref="AwaitBeforeInit"/> waits: the compile only saves time, so the restore goes on without it after that.</summary>
    private static readonly TimeSpan BeforeInitWaitLimit = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Before the application's restore on a replacement: waits until the compile started before
    /// MPI_Init (if any) has finished, so the restore does not share the processor with it, at
    /// most <see cref="BeforeInitWaitLimit"/> (the JIT compiles whatever the restore meets first
    /// itself, so going on early changes only time); records the milliseconds waited.
    /// </summary>
    internal static void AwaitBeforeInit()
    {
        if (beforeInit is not { } thread || !thread.IsAlive)
        {
            return;
        }
        long begin = Stopwatch.GetTimestamp();
        _ = thread.Join(BeforeInitWaitLimit);
        BeforeInitWaitMilliseconds = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
    }

    /// <summary>Milliseconds <see cref="AwaitBeforeInit"/> waited (for the trace).</summary>
    internal static double BeforeInitWaitMilliseconds { get; private set; }
}
