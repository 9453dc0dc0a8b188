namespace Mitten.GroupComm.Native;

/// <summary>
/// Everything that differs between MPI implementations: the library to load, how a
/// predefined handle is found, sentinel constants, and the status layout. Chosen once at
/// start-up (<see cref="Current"/>); callers never see these numbers directly, so an
/// MPICH-family or MPI-5 standard-ABI table can be added without touching them.
/// </summary>
internal abstract class MpiAbi
{
    private static MpiAbi? current;

    /// <summary>The ABI in use; loads the library on first use.</summary>
    internal static MpiAbi Current
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => current ?? (current = Select());
    }

    /// <summary>Environment variable naming the MPI library to load instead of the default.</summary>
    internal const string LibraryVariable = "MITTEN_MPI_LIBRARY";

    internal abstract string Name { get; }
    internal nint Library { get; private protected set; }

    /// <summary>
    /// Environment settings ("NAME=value") that let a process this one spawns start the way this
    /// one did without searching again for what this one already chose (see
    /// <see cref="Mpi.SpawnEnvironment"/>); none by default.
    /// </summary>
    internal virtual IReadOnlyList<string> SpawnEnvironment() => [];

    // Sentinels.
    internal abstract int AnySource { get; }
    internal abstract int AnyTag { get; }
    internal abstract int ProcNull { get; }
    internal abstract int Root { get; }
    internal abstract int Undefined { get; }
    internal abstract int LockExclusive { get; }
    internal abstract int LockShared { get; }
    internal abstract int ModeNoCheck { get; }
    internal abstract nint InPlace { get; }
    internal abstract int MaxErrorString { get; }
    internal abstract int MaxProcessorName { get; }
    internal abstract int MaxPortName { get; }

    // Status layout: total size in bytes and int offsets of the public fields.
    internal abstract int StatusSize { get; }
    internal abstract int StatusSourceIndex { get; }
    internal abstract int StatusTagIndex { get; }
    internal abstract int StatusErrorIndex { get; }

    /// <summary>
    /// Int offset of the status's received byte count as a 64-bit integer, or -1 when the
    /// layout has none (then counts come from MPI_Get_count).
    /// </summary>
    internal virtual int StatusByteCountIndex => -1;

    /// <summary>Int offset of the status's cancelled flag, or -1 (then MPI_Test_cancelled is asked).</summary>
    internal virtual int StatusCancelledIndex => -1;

    // Predefined handles.
    internal abstract nint CommWorld { get; }
    internal abstract nint CommSelf { get; }
    internal abstract nint CommNull { get; }
    internal abstract nint GroupNull { get; }
    internal abstract nint GroupEmpty { get; }
    internal abstract nint RequestNull { get; }
    internal abstract nint InfoNull { get; }
    internal abstract nint WinNull { get; }
    internal abstract nint ErrorsReturn { get; }
    internal abstract nint Datatype(PredefinedDatatype type);
    internal abstract nint Operation(PredefinedOp op);

    /// <summary>
    /// Sets implementation-specific environment defaults the library reads during MPI_Init
    /// (through libc, since the runtime's environment is not seen by native code).
    /// A value the user already set is left alone.
    /// </summary>
    internal virtual void PrepareEnvironment() { }

    /// <summary>Maps a native error class number to the portable enum.</summary>
    internal abstract MpiErrorClass ErrorClassOf(int nativeClass);
    internal abstract int ThreadLevelToNative(ThreadLevel level);
    internal abstract ThreadLevel ThreadLevelFromNative(int level);
    internal abstract CompareResult CompareResultFromNative(int value);

    private static MpiAbi Select()
    {
        string library = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } name
            ? name
            : "libmpi.so.40";
        nint handle = DynamicLibrary.OpenGlobal(library);
        // Detection in the order the MPI-5 ABI proposal suggests: the standard ABI first,
        // then Open MPI (recognised by its exported predefined communicator).
        if (DynamicLibrary.TryGetSymbol(handle, "MPI_Abi_get_version", out _))
        {
            throw new MpiUnavailableException(
                $"'{library}' uses the MPI-5 standard ABI, which this binding has no table for yet; " +
                $"set {LibraryVariable} to an Open MPI libmpi.so.40.");
        }
        if (DynamicLibrary.TryGetSymbol(handle, "ompi_mpi_comm_world", out _))
        {
            var abi = new OpenMpiAbi(handle);
            MpiFunctions.Resolve(handle);
            return abi;
        }
        throw new MpiUnavailableException(
            $"'{library}' is not an Open MPI library (no ompi_mpi_comm_world symbol); only the Open MPI ABI is supported.");
    }
}

internal enum PredefinedDatatype
{
    Byte, SignedChar, UnsignedChar, Short, UnsignedShort, Int, Unsigned, Long, UnsignedLong,
    LongLong, UnsignedLongLong, Float, Double, CBool, Int8, UInt8, Int16, UInt16, Int32, UInt32,
    Int64, UInt64,
}

internal enum PredefinedOp
{
    Sum, Prod, Max, Min, LogicalAnd, LogicalOr, LogicalXor, BitwiseAnd, BitwiseOr, BitwiseXor,
    Replace, NoOp,
}
