using System.Runtime.CompilerServices;
using System.Text;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// The MPI environment: initialization, finalization, time and the predefined
/// communicators. Every communicator and window this binding creates returns errors
/// instead of aborting, so a failing call becomes an <see cref="MpiException"/>.
/// </summary>
public static unsafe class Mpi
{
    private static Communicator? world;
    private static Communicator? self;
    private static ThreadLevel providedLevel;

    /// <summary>
    /// Initializes MPI (MPI_Init_thread) and returns the thread level provided. The default is
    /// <see cref="ThreadLevel.Single"/>: only the thread that initialized MPI may call it (the
    /// runtime's own threads never do), and Open MPI 4.1 measurably costs more per message at
    /// FUNNELED (about 20-25 ns, bench/RESULTS.md).
    /// </summary>
    /// <exception cref="InvalidOperationException">MPI is already initialized or finalized.</exception>
    public static ThreadLevel Init(ThreadLevel required = ThreadLevel.Single)
    {
        MpiAbi abi = MpiAbi.Current;
        if (IsInitialized)
        {
            throw new InvalidOperationException(IsFinalized
                ? "MPI was finalized and cannot be initialized again"
                : "MPI is already initialized");
        }
        abi.PrepareEnvironment();
        int provided;
        MpiException.Check(MpiFunctions.Init_thread(null, null, abi.ThreadLevelToNative(required), &provided), "MPI_Init_thread");
        providedLevel = abi.ThreadLevelFromNative(provided);
        world = Communicator.Predefined(abi.CommWorld, "MPI_COMM_WORLD");
        self = Communicator.Predefined(abi.CommSelf, "MPI_COMM_SELF");
        // The hot paths' ABI-derived statics (status layout, MPI_REQUEST_NULL), set now: code the
        // JIT compiles from here on reads them as constants instead of as fields behind a
        // class-initialization check (code compiled once, with tiering off or ahead of time by a
        // layer's start-up, keeps whatever it saw).
        RuntimeHelpers.RunClassConstructor(typeof(Status).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(RequestHandle).TypeHandle);
        return providedLevel;
    }

#pragma warning disable CS0465 // The MPI name is the one users look for; Mpi is static, so no destructor is involved.
    /// <summary>Finalizes MPI. Communicators and windows the program still holds must have been freed.</summary>
    public static void Finalize()
    {
        RequireInitialized();
        MpiException.Check(MpiFunctions.Finalize(), "MPI_Finalize");
    }
#pragma warning restore CS0465

    /// <summary>Terminates every process of <paramref name="communicator"/>'s job (MPI_Abort).</summary>
    public static void Abort(Communicator communicator, int errorCode)
    {
        MpiFunctions.Abort(communicator.Handle, errorCode);
    }

    /// <summary>Whether MPI_Init has been called.</summary>
    public static bool IsInitialized
    {
        get
        {
            _ = MpiAbi.Current;
            int flag;
            MpiException.Check(MpiFunctions.Initialized(&flag), "MPI_Initialized");
            return flag != 0;
        }
    }

    /// <summary>Whether MPI_Finalize has been called.</summary>
    public static bool IsFinalized
    {
        get
        {
            _ = MpiAbi.Current;
            int flag;
            MpiException.Check(MpiFunctions.Finalized(&flag), "MPI_Finalized");
            return flag != 0;
        }
    }

    /// <summary>The thread level MPI provided at <see cref="Init"/>.</summary>
    public static ThreadLevel ProvidedThreadLevel => providedLevel;

    /// <summary>MPI_COMM_WORLD.</summary>
    public static Communicator World => world ?? throw NotInitialized();

    /// <summary>MPI_COMM_SELF.</summary>
    public static Communicator Self => self ?? throw NotInitialized();

    /// <summary>Wall-clock time in seconds (MPI_Wtime).</summary>
    public static double Wtime() => MpiFunctions.Wtime();

    /// <summary>Resolution of <see cref="Wtime"/> in seconds.</summary>
    public static double Wtick() => MpiFunctions.Wtick();

    /// <summary>The name of the processor (host) this process runs on.</summary>
    public static string ProcessorName
    {
        get
        {
            RequireInitialized();
            int max = MpiAbi.Current.MaxProcessorName;
            byte* buffer = stackalloc byte[max + 1];
            int length;
            MpiException.Check(MpiFunctions.Get_processor_name(buffer, &length), "MPI_Get_processor_name");
            return Encoding.UTF8.GetString(buffer, Math.Clamp(length, 0, max));
        }
    }

    /// <summary>The MPI standard version the library implements.</summary>
    public static Version StandardVersion
    {
        get
        {
            _ = MpiAbi.Current;
            int major, minor;
            MpiException.Check(MpiFunctions.Get_version(&major, &minor), "MPI_Get_version");
            return new Version(major, minor);
        }
    }

    /// <summary>
    /// Environment settings ("NAME=value") for a process this one spawns, so that its MPI_Init
    /// does not search again for what this process's already chose: with Open MPI, the
    /// point-to-point layer this process loaded (OMPI_MCA_pml), unless the environment names one.
    /// Pass them with the "env" info key of <see cref="Communicator.Spawn"/> (newline-separated).
    /// Empty when there is nothing to pass. Requires MPI to be initialized.
    /// </summary>
    public static IReadOnlyList<string> SpawnEnvironment
    {
        get
        {
            RequireInitialized();
            return MpiAbi.Current.SpawnEnvironment();
        }
    }

    /// <summary>The name of the MPI implementation's ABI in use (e.g. "Open MPI").</summary>
    public static string Implementation => MpiAbi.Current.Name;

    /// <summary>MPI_ANY_SOURCE.</summary>
    public static int AnySource => Sentinels.AnySource;

    /// <summary>MPI_ANY_TAG.</summary>
    public static int AnyTag => Sentinels.AnyTag;

    /// <summary>The wildcards, read once (static readonly: constants to the JIT on hot paths).</summary>
    private static class Sentinels
    {
        internal static readonly int AnySource = MpiAbi.Current.AnySource;
        internal static readonly int AnyTag = MpiAbi.Current.AnyTag;
    }

    /// <summary>MPI_PROC_NULL.</summary>
    public static int ProcNull => MpiAbi.Current.ProcNull;

    private static void RequireInitialized()
    {
        if (world is null)
        {
            throw NotInitialized();
        }
    }

    private static InvalidOperationException NotInitialized() =>
        new("MPI is not initialized: call Mpi.Init() first");
}
