namespace Mitten.GroupComm.Native;

/// <summary>
/// Open MPI (4.x): handles are pointers to exported global objects; the status is
/// { int SOURCE, TAG, ERROR, _cancelled; size_t _ucount } (24 bytes).
/// Values taken from Open MPI 4.1's mpi.h.
/// </summary>
internal sealed class OpenMpiAbi : MpiAbi
{
    private readonly nint commWorld, commSelf, commNull, groupNull, groupEmpty, requestNull,
        infoNull, winNull, errorsReturn;
    private readonly nint[] datatypes;
    private readonly nint[] operations;

    internal OpenMpiAbi(nint library)
    {
        Library = library;
        commWorld = Symbol("ompi_mpi_comm_world");
        commSelf = Symbol("ompi_mpi_comm_self");
        commNull = Symbol("ompi_mpi_comm_null");
        groupNull = Symbol("ompi_mpi_group_null");
        groupEmpty = Symbol("ompi_mpi_group_empty");
        requestNull = Symbol("ompi_request_null");
        infoNull = Symbol("ompi_mpi_info_null");
        winNull = Symbol("ompi_mpi_win_null");
        errorsReturn = Symbol("ompi_mpi_errors_return");

        datatypes = new nint[Enum.GetValues<PredefinedDatatype>().Length];
        Set(PredefinedDatatype.Byte, "ompi_mpi_byte");
        Set(PredefinedDatatype.SignedChar, "ompi_mpi_signed_char");
        Set(PredefinedDatatype.UnsignedChar, "ompi_mpi_unsigned_char");
        Set(PredefinedDatatype.Short, "ompi_mpi_short");
        Set(PredefinedDatatype.UnsignedShort, "ompi_mpi_unsigned_short");
        Set(PredefinedDatatype.Int, "ompi_mpi_int");
        Set(PredefinedDatatype.Unsigned, "ompi_mpi_unsigned");
        Set(PredefinedDatatype.Long, "ompi_mpi_long");
        Set(PredefinedDatatype.UnsignedLong, "ompi_mpi_unsigned_long");
        Set(PredefinedDatatype.LongLong, "ompi_mpi_long_long_int");
        Set(PredefinedDatatype.UnsignedLongLong, "ompi_mpi_unsigned_long_long");
        Set(PredefinedDatatype.Float, "ompi_mpi_float");
        Set(PredefinedDatatype.Double, "ompi_mpi_double");
        Set(PredefinedDatatype.CBool, "ompi_mpi_c_bool");
        Set(PredefinedDatatype.Int8, "ompi_mpi_int8_t");
        Set(PredefinedDatatype.UInt8, "ompi_mpi_uint8_t");
        Set(PredefinedDatatype.Int16, "ompi_mpi_int16_t");
        Set(PredefinedDatatype.UInt16, "ompi_mpi_uint16_t");
        Set(PredefinedDatatype.Int32, "ompi_mpi_int32_t");
        Set(PredefinedDatatype.UInt32, "ompi_mpi_uint32_t");
        Set(PredefinedDatatype.Int64, "ompi_mpi_int64_t");
        Set(PredefinedDatatype.UInt64, "ompi_mpi_uint64_t");

        operations = new nint[Enum.GetValues<PredefinedOp>().Length];
        SetOp(PredefinedOp.Sum, "ompi_mpi_op_sum");
        SetOp(PredefinedOp.Prod, "ompi_mpi_op_prod");
        SetOp(PredefinedOp.Max, "ompi_mpi_op_max");
        SetOp(PredefinedOp.Min, "ompi_mpi_op_min");
        SetOp(PredefinedOp.LogicalAnd, "ompi_mpi_op_land");
        SetOp(PredefinedOp.LogicalOr, "ompi_mpi_op_lor");
        SetOp(PredefinedOp.LogicalXor, "ompi_mpi_op_lxor");
        SetOp(PredefinedOp.BitwiseAnd, "ompi_mpi_op_band");
        SetOp(PredefinedOp.BitwiseOr, "ompi_mpi_op_bor");
        SetOp(PredefinedOp.BitwiseXor, "ompi_mpi_op_bxor");
        SetOp(PredefinedOp.Replace, "ompi_mpi_op_replace");
        SetOp(PredefinedOp.NoOp, "ompi_mpi_op_no_op");

        void Set(PredefinedDatatype t, string symbol) => datatypes[(int)t] = Symbol(symbol);
        void SetOp(PredefinedOp o, string symbol) => operations[(int)o] = Symbol(symbol);
    }

    private nint Symbol(string name) => DynamicLibrary.GetSymbol(Library, name);

    internal override string Name => "Open MPI";
    internal override int AnySource => -1;
    internal override int AnyTag => -1;
    internal override int ProcNull => -2;
    internal override int Root => -4;
    internal override int Undefined => -32766;
    internal override int LockExclusive => 1;
    internal override int LockShared => 2;
    internal override int ModeNoCheck => 1;
    internal override nint InPlace => 1;
    internal override int MaxErrorString => 256;
    internal override int MaxProcessorName => 256;
    internal override int MaxPortName => 1024;
    internal override int StatusSize => 24;
    internal override int StatusSourceIndex => 0;
    internal override int StatusTagIndex => 1;
    internal override int StatusErrorIndex => 2;
    internal override int StatusCancelledIndex => 3; // int _cancelled
    internal override int StatusByteCountIndex => 4; // size_t _ucount, in bytes, at byte offset 16
    internal override nint CommWorld => commWorld;
    internal override nint CommSelf => commSelf;
    internal override nint CommNull => commNull;
    internal override nint GroupNull => groupNull;
    internal override nint GroupEmpty => groupEmpty;
    internal override nint RequestNull => requestNull;
    internal override nint InfoNull => infoNull;
    internal override nint WinNull => winNull;
    internal override nint ErrorsReturn => errorsReturn;
    internal override nint Datatype(PredefinedDatatype type) => datatypes[(int)type];
    internal override nint Operation(PredefinedOp op) => operations[(int)op];

    // Open MPI 4.1 error classes (mpi.h): 0 success ... 92 last code.
    internal override MpiErrorClass ErrorClassOf(int nativeClass) => nativeClass switch
    {
        0 => MpiErrorClass.Success,
        1 => MpiErrorClass.Buffer,
        2 => MpiErrorClass.Count,
        3 => MpiErrorClass.Type,
        4 => MpiErrorClass.Tag,
        5 => MpiErrorClass.Comm,
        6 => MpiErrorClass.Rank,
        7 => MpiErrorClass.Request,
        8 => MpiErrorClass.Root,
        9 => MpiErrorClass.Group,
        10 => MpiErrorClass.Op,
        12 => MpiErrorClass.Dims,
        13 => MpiErrorClass.Arg,
        14 => MpiErrorClass.Unknown,
        15 => MpiErrorClass.Truncate,
        16 => MpiErrorClass.Other,
        17 => MpiErrorClass.Intern,
        18 => MpiErrorClass.InStatus,
        19 => MpiErrorClass.Pending,
        22 => MpiErrorClass.Assert,
        24 => MpiErrorClass.Base,
        26 => MpiErrorClass.Disp,
        31 => MpiErrorClass.InfoKey,
        37 => MpiErrorClass.LockType,
        39 => MpiErrorClass.NoMem,
        42 => MpiErrorClass.NoSuchFile,
        46 => MpiErrorClass.RmaConflict,
        47 => MpiErrorClass.RmaSync,
        49 => MpiErrorClass.Size,
        50 => MpiErrorClass.Spawn,
        53 => MpiErrorClass.Win,
        68 => MpiErrorClass.RmaRange,
        _ => MpiErrorClass.Other,
    };

    /// <summary>
    /// Open MPI 4.1's default one-sided component on one node (osc/rdma over vader)
    /// crashes in MPI_Compare_and_swap (seen with 4.1.4: segmentation fault), so the binding
    /// chooses "sm,pt2pt" unless the user chose: osc/sm when every process of the window is on
    /// one node (atomics in shared memory: the target need not enter MPI, measured 0.03 ms for
    /// a fetch-and-op on a computing target), else osc/pt2pt, which passes the same tests and
    /// serves processes joined by spawn over TCP, but completes an operation only when the
    /// target next enters MPI (measured: as long as the target computes, e.g. 29 ms).
    /// </summary>
    internal override void PrepareEnvironment() => DynamicLibrary.SetEnvironmentDefault("OMPI_MCA_osc", "sm,pt2pt");

    internal override int ThreadLevelToNative(ThreadLevel level) => (int)level;
    internal override ThreadLevel ThreadLevelFromNative(int level) => (ThreadLevel)level;
    internal override CompareResult CompareResultFromNative(int value) => (CompareResult)value;

    private IReadOnlyList<string>? spawnEnvironment;

    /// <summary>
    /// Open MPI opens every point-to-point messaging layer ("pml") it has at MPI_Init and keeps
    /// the best; with the OS package that probing (the cm layer and its psm/psm2 transports) took
    /// about 220 of the 300 ms of MPI_Init here, against 75 ms with the layer named. A spawned
    /// process must use the layer of the job it joins anyway, so it is named for it: the one
    /// this process loaded (the only mca_pml_*.so left mapped after MPI_Init), unless the
    /// environment already names one (OMPI_MCA_pml, which a spawned process inherits).
    /// </summary>
    internal override IReadOnlyList<string> SpawnEnvironment()
    {
        if (spawnEnvironment is not null)
        {
            return spawnEnvironment;
        }
        string? pml = Environment.GetEnvironmentVariable("OMPI_MCA_pml") is null ? LoadedComponent("pml") : null;
        return spawnEnvironment = pml is null ? [] : [$"OMPI_MCA_pml={pml}"];
    }

    /// <summary>The component of <paramref name="framework"/> whose library this process has mapped (mca_FRAMEWORK_NAME.so), or null when none or several are.</summary>
    private static string? LoadedComponent(string framework)
    {
        string prefix = $"mca_{framework}_";
        string? found = null;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.LastIndexOf('/');
                if (slash < 0 || string.CompareOrdinal(line, slash + 1, prefix, 0, prefix.Length) != 0 || !line.EndsWith(".so", StringComparison.Ordinal))
                {
                    continue;
                }
                string name = line[(slash + 1 + prefix.Length)..^3];
                if (found is not null && found != name)
                {
                    return null; // several loaded: no single choice to pass on
                }
                found = name;
            }
        }
        catch (IOException)
        {
            return null; // no /proc: the spawned process searches as usual
        }
        return found;
    }
}
