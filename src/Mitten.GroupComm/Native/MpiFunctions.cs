namespace Mitten.GroupComm.Native;

/// <summary>
/// The MPI C functions as unmanaged function pointers, resolved once from the loaded
/// library. Handles are passed as <c>nint</c> (Open MPI's pointer handles). A function
/// the library does not export stays null and is reported by <see cref="Require"/>.
/// </summary>
internal static unsafe class MpiFunctions
{
    // Environment
    internal static delegate* unmanaged<int*, byte***, int, int*, int> Init_thread;
    internal static delegate* unmanaged<int> Finalize;
    internal static delegate* unmanaged<int*, int> Initialized;
    internal static delegate* unmanaged<int*, int> Finalized;
    internal static delegate* unmanaged<nint, int, int> Abort;
    internal static delegate* unmanaged[SuppressGCTransition]<double> Wtime;
    internal static delegate* unmanaged<double> Wtick;
    internal static delegate* unmanaged<byte*, int*, int> Get_processor_name;
    internal static delegate* unmanaged<int, byte*, int*, int> Error_string;
    internal static delegate* unmanaged<int, int*, int> Error_class;
    internal static delegate* unmanaged<nint, nint, int> Comm_set_errhandler;
    internal static delegate* unmanaged<nint, nint, int> Win_set_errhandler;
    internal static delegate* unmanaged<int*, int*, int> Get_version;

    // Communicators and groups
    internal static delegate* unmanaged<nint, int*, int> Comm_rank;
    internal static delegate* unmanaged<nint, int*, int> Comm_size;
    internal static delegate* unmanaged<nint, nint*, int> Comm_dup;
    internal static delegate* unmanaged<nint, int, int, nint*, int> Comm_split;
    internal static delegate* unmanaged<nint, nint, nint*, int> Comm_create;
    internal static delegate* unmanaged<nint, nint, int, nint*, int> Comm_create_group;
    internal static delegate* unmanaged<nint, int, nint, int, int, nint*, int> Intercomm_create;
    internal static delegate* unmanaged<nint*, int> Comm_free;
    internal static delegate* unmanaged<nint, nint, int*, int> Comm_compare;
    internal static delegate* unmanaged<nint, nint*, int> Comm_group;
    internal static delegate* unmanaged<nint, int*, int> Comm_test_inter;
    internal static delegate* unmanaged<nint, int*, int> Comm_remote_size;
    internal static delegate* unmanaged<nint, int, nint*, int> Intercomm_merge;
    internal static delegate* unmanaged<nint*, int> Comm_disconnect;
    internal static delegate* unmanaged<nint*, int> Comm_get_parent;
    internal static delegate* unmanaged<byte*, byte**, int, nint, int, nint, nint*, int*, int> Comm_spawn;
    internal static delegate* unmanaged<nint, int*, int> Group_size;
    internal static delegate* unmanaged<nint, int*, int> Group_rank;
    internal static delegate* unmanaged<nint, int, int*, nint*, int> Group_incl;
    internal static delegate* unmanaged<nint, int, int*, nint*, int> Group_excl;
    internal static delegate* unmanaged<nint, int, int*, nint, int*, int> Group_translate_ranks;
    internal static delegate* unmanaged<nint*, int> Group_free;
    internal static delegate* unmanaged<nint, int, int*, int*, int, nint*, int> Cart_create;
    internal static delegate* unmanaged<nint, int, int, int*, int*, int> Cart_shift;
    internal static delegate* unmanaged<nint, int, int, int*, int> Cart_coords;
    internal static delegate* unmanaged<nint, int*, int> Cartdim_get;

    internal static delegate* unmanaged<nint, byte*, int> Open_port;
    internal static delegate* unmanaged<byte*, int> Close_port;
    internal static delegate* unmanaged<byte*, nint, int, nint, nint*, int> Comm_accept;
    internal static delegate* unmanaged<byte*, nint, int, nint, nint*, int> Comm_connect;

    // Info
    internal static delegate* unmanaged<nint*, int> Info_create;
    internal static delegate* unmanaged<nint, byte*, byte*, int> Info_set;
    internal static delegate* unmanaged<nint, byte*, int, byte*, int*, int> Info_get;
    internal static delegate* unmanaged<nint*, int> Info_free;

    // Point-to-point. The calls marked SuppressGCTransition never block and never call back
    // into managed code (this binding installs no managed callbacks: no user-defined operations
    // or error handlers), so they skip the switch to preemptive mode, which costs several ns
    // per call and is most of what a polled receive (MPI_Irecv + MPI_Test) adds to MPI_Recv.
    // The price: a garbage collection started by another thread waits until such a call
    // returns (microseconds: they only progress MPI's queues). Blocking calls (MPI_Recv,
    // MPI_Wait, MPI_Send, collectives, window synchronization) keep the transition.
    internal static delegate* unmanaged<void*, int, nint, int, int, nint, int> Send;
    internal static delegate* unmanaged<void*, int, nint, int, int, nint, int> Ssend;
    internal static delegate* unmanaged<void*, int, nint, int, int, nint, void*, int> Recv;
    internal static delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, void*, int> Sendrecv;
    internal static delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, nint*, int> Isend;
    internal static delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Issend;
    internal static delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, nint*, int> Irecv;
    internal static delegate* unmanaged<nint*, void*, int> Wait;
    internal static delegate* unmanaged[SuppressGCTransition]<nint*, int*, void*, int> Test;
    internal static delegate* unmanaged<int, nint*, void*, int> Waitall;
    internal static delegate* unmanaged<int, nint*, int*, void*, int> Waitany;
    internal static delegate* unmanaged[SuppressGCTransition]<int, nint*, int*, int*, void*, int> Testany;
    internal static delegate* unmanaged[SuppressGCTransition]<nint*, int> Cancel;
    internal static delegate* unmanaged<nint*, int> Request_free;
    internal static delegate* unmanaged[SuppressGCTransition]<void*, int*, int> Test_cancelled;
    internal static delegate* unmanaged<int, int, nint, void*, int> Probe;
    internal static delegate* unmanaged[SuppressGCTransition]<int, int, nint, int*, void*, int> Iprobe;
    internal static delegate* unmanaged[SuppressGCTransition]<void*, nint, int*, int> Get_count;

    // Collectives
    internal static delegate* unmanaged<nint, int> Barrier;
    internal static delegate* unmanaged<nint, nint*, int> Ibarrier;
    internal static delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, int, nint, int> Reduce;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    internal static delegate* unmanaged<void*, int, nint, int, nint, nint*, int> Ibcast;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> Iallreduce;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int> Gather;
    internal static delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int> Gatherv;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int> Scatter;
    internal static delegate* unmanaged<void*, int*, int*, nint, void*, int, nint, int, nint, int> Scatterv;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    internal static delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Alltoall;
    internal static delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int> Alltoallv;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Scan;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Exscan;
    internal static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Reduce_scatter_block;

    // One-sided
    internal static delegate* unmanaged<nint, int, nint, nint, void*, nint*, int> Win_allocate;
    internal static delegate* unmanaged<void*, nint, int, nint, nint, nint*, int> Win_create;
    internal static delegate* unmanaged<nint*, int> Win_free;
    internal static delegate* unmanaged<int, int, int, nint, int> Win_lock;
    internal static delegate* unmanaged<int, nint, int> Win_unlock;
    internal static delegate* unmanaged<int, nint, int> Win_lock_all;
    internal static delegate* unmanaged<nint, int> Win_unlock_all;
    internal static delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, int> Put;
    internal static delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, int> Get;
    internal static delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, nint, int> Accumulate;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int, nint, nint, nint, int> Get_accumulate;
    internal static delegate* unmanaged<void*, void*, nint, int, nint, nint, nint, int> Fetch_and_op;
    internal static delegate* unmanaged<void*, void*, void*, nint, int, nint, nint, int> Compare_and_swap;
    internal static delegate* unmanaged<int, nint, int> Win_flush;
    internal static delegate* unmanaged<nint, int> Win_flush_all;
    internal static delegate* unmanaged<int, nint, int> Win_flush_local;
    internal static delegate* unmanaged<nint, int> Win_flush_local_all;
    internal static delegate* unmanaged<nint, int> Win_sync;
    internal static delegate* unmanaged<void*, int, nint*, int> Op_create;
    internal static delegate* unmanaged<nint*, int> Op_free;

    private static nint library;

    internal static void Resolve(nint lib)
    {
        library = lib;
        Init_thread = (delegate* unmanaged<int*, byte***, int, int*, int>)Find("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Find("MPI_Finalize");
        Initialized = (delegate* unmanaged<int*, int>)Find("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Find("MPI_Finalized");
        Abort = (delegate* unmanaged<nint, int, int>)Find("MPI_Abort");
        Wtime = (delegate* unmanaged[SuppressGCTransition]<double>)Find("MPI_Wtime");
        Wtick = (delegate* unmanaged<double>)Find("MPI_Wtick");
        Get_processor_name = (delegate* unmanaged<byte*, int*, int>)Find("MPI_Get_processor_name");
        Error_string = (delegate* unmanaged<int, byte*, int*, int>)Find("MPI_Error_string");
        Error_class = (delegate* unmanaged<int, int*, int>)Find("MPI_Error_class");
        Comm_set_errhandler = (delegate* unmanaged<nint, nint, int>)Find("MPI_Comm_set_errhandler");
        Win_set_errhandler = (delegate* unmanaged<nint, nint, int>)Find("MPI_Win_set_errhandler");
        Get_version = (delegate* unmanaged<int*, int*, int>)Find("MPI_Get_version");

        Comm_rank = (delegate* unmanaged<nint, int*, int>)Find("MPI_Comm_rank");
        Comm_size = (delegate* unmanaged<nint, int*, int>)Find("MPI_Comm_size");
        Comm_dup = (delegate* unmanaged<nint, nint*, int>)Find("MPI_Comm_dup");
        Comm_split = (delegate* unmanaged<nint, int, int, nint*, int>)Find("MPI_Comm_split");
        Comm_create = (delegate* unmanaged<nint, nint, nint*, int>)Find("MPI_Comm_create");
        Comm_create_group = (delegate* unmanaged<nint, nint, int, nint*, int>)Find("MPI_Comm_create_group");
        Intercomm_create = (delegate* unmanaged<nint, int, nint, int, int, nint*, int>)Find("MPI_Intercomm_create");
        Comm_free = (delegate* unmanaged<nint*, int>)Find("MPI_Comm_free");
        Comm_compare = (delegate* unmanaged<nint, nint, int*, int>)Find("MPI_Comm_compare");
        Comm_group = (delegate* unmanaged<nint, nint*, int>)Find("MPI_Comm_group");
        Comm_test_inter = (delegate* unmanaged<nint, int*, int>)Find("MPI_Comm_test_inter");
        Comm_remote_size = (delegate* unmanaged<nint, int*, int>)Find("MPI_Comm_remote_size");
        Intercomm_merge = (delegate* unmanaged<nint, int, nint*, int>)Find("MPI_Intercomm_merge");
        Comm_disconnect = (delegate* unmanaged<nint*, int>)Find("MPI_Comm_disconnect");
        Comm_get_parent = (delegate* unmanaged<nint*, int>)Find("MPI_Comm_get_parent");
        Comm_spawn = (delegate* unmanaged<byte*, byte**, int, nint, int, nint, nint*, int*, int>)Find("MPI_Comm_spawn");
        Open_port = (delegate* unmanaged<nint, byte*, int>)Find("MPI_Open_port");
        Close_port = (delegate* unmanaged<byte*, int>)Find("MPI_Close_port");
        Comm_accept = (delegate* unmanaged<byte*, nint, int, nint, nint*, int>)Find("MPI_Comm_accept");
        Comm_connect = (delegate* unmanaged<byte*, nint, int, nint, nint*, int>)Find("MPI_Comm_connect");
        Group_size = (delegate* unmanaged<nint, int*, int>)Find("MPI_Group_size");
        Group_rank = (delegate* unmanaged<nint, int*, int>)Find("MPI_Group_rank");
        Group_incl = (delegate* unmanaged<nint, int, int*, nint*, int>)Find("MPI_Group_incl");
        Group_excl = (delegate* unmanaged<nint, int, int*, nint*, int>)Find("MPI_Group_excl");
        Group_translate_ranks = (delegate* unmanaged<nint, int, int*, nint, int*, int>)Find("MPI_Group_translate_ranks");
        Group_free = (delegate* unmanaged<nint*, int>)Find("MPI_Group_free");
        Cart_create = (delegate* unmanaged<nint, int, int*, int*, int, nint*, int>)Find("MPI_Cart_create");
        Cart_shift = (delegate* unmanaged<nint, int, int, int*, int*, int>)Find("MPI_Cart_shift");
        Cart_coords = (delegate* unmanaged<nint, int, int, int*, int>)Find("MPI_Cart_coords");
        Cartdim_get = (delegate* unmanaged<nint, int*, int>)Find("MPI_Cartdim_get");

        Info_create = (delegate* unmanaged<nint*, int>)Find("MPI_Info_create");
        Info_set = (delegate* unmanaged<nint, byte*, byte*, int>)Find("MPI_Info_set");
        Info_get = (delegate* unmanaged<nint, byte*, int, byte*, int*, int>)Find("MPI_Info_get");
        Info_free = (delegate* unmanaged<nint*, int>)Find("MPI_Info_free");

        Send = (delegate* unmanaged<void*, int, nint, int, int, nint, int>)Find("MPI_Send");
        Ssend = (delegate* unmanaged<void*, int, nint, int, int, nint, int>)Find("MPI_Ssend");
        Recv = (delegate* unmanaged<void*, int, nint, int, int, nint, void*, int>)Find("MPI_Recv");
        Sendrecv = (delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, void*, int>)Find("MPI_Sendrecv");
        Isend = (delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, nint*, int>)Find("MPI_Isend");
        Issend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Find("MPI_Issend");
        Irecv = (delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, nint*, int>)Find("MPI_Irecv");
        Wait = (delegate* unmanaged<nint*, void*, int>)Find("MPI_Wait");
        Test = (delegate* unmanaged[SuppressGCTransition]<nint*, int*, void*, int>)Find("MPI_Test");
        Waitall = (delegate* unmanaged<int, nint*, void*, int>)Find("MPI_Waitall");
        Waitany = (delegate* unmanaged<int, nint*, int*, void*, int>)Find("MPI_Waitany");
        Testany = (delegate* unmanaged[SuppressGCTransition]<int, nint*, int*, int*, void*, int>)Find("MPI_Testany");
        Cancel = (delegate* unmanaged[SuppressGCTransition]<nint*, int>)Find("MPI_Cancel");
        Request_free = (delegate* unmanaged<nint*, int>)Find("MPI_Request_free");
        Test_cancelled = (delegate* unmanaged[SuppressGCTransition]<void*, int*, int>)Find("MPI_Test_cancelled");
        Probe = (delegate* unmanaged<int, int, nint, void*, int>)Find("MPI_Probe");
        Iprobe = (delegate* unmanaged[SuppressGCTransition]<int, int, nint, int*, void*, int>)Find("MPI_Iprobe");
        Get_count = (delegate* unmanaged[SuppressGCTransition]<void*, nint, int*, int>)Find("MPI_Get_count");

        Barrier = (delegate* unmanaged<nint, int>)Find("MPI_Barrier");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Find("MPI_Ibarrier");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Find("MPI_Bcast");
        Reduce = (delegate* unmanaged<void*, void*, int, nint, nint, int, nint, int>)Find("MPI_Reduce");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Find("MPI_Allreduce");
        Ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Find("MPI_Ibcast");
        Iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Find("MPI_Iallreduce");
        Gather = (delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int>)Find("MPI_Gather");
        Gatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int>)Find("MPI_Gatherv");
        Scatter = (delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int>)Find("MPI_Scatter");
        Scatterv = (delegate* unmanaged<void*, int*, int*, nint, void*, int, nint, int, nint, int>)Find("MPI_Scatterv");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Find("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Find("MPI_Allgatherv");
        Alltoall = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Find("MPI_Alltoall");
        Alltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int>)Find("MPI_Alltoallv");
        Scan = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Find("MPI_Scan");
        Exscan = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Find("MPI_Exscan");
        Reduce_scatter_block = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Find("MPI_Reduce_scatter_block");

        Win_allocate = (delegate* unmanaged<nint, int, nint, nint, void*, nint*, int>)Find("MPI_Win_allocate");
        Win_create = (delegate* unmanaged<void*, nint, int, nint, nint, nint*, int>)Find("MPI_Win_create");
        Win_free = (delegate* unmanaged<nint*, int>)Find("MPI_Win_free");
        Win_lock = (delegate* unmanaged<int, int, int, nint, int>)Find("MPI_Win_lock");
        Win_unlock = (delegate* unmanaged<int, nint, int>)Find("MPI_Win_unlock");
        Win_lock_all = (delegate* unmanaged<int, nint, int>)Find("MPI_Win_lock_all");
        Win_unlock_all = (delegate* unmanaged<nint, int>)Find("MPI_Win_unlock_all");
        Put = (delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, int>)Find("MPI_Put");
        Get = (delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, int>)Find("MPI_Get");
        Accumulate = (delegate* unmanaged<void*, int, nint, int, nint, int, nint, nint, nint, int>)Find("MPI_Accumulate");
        Get_accumulate = (delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int, nint, nint, nint, int>)Find("MPI_Get_accumulate");
        Fetch_and_op = (delegate* unmanaged<void*, void*, nint, int, nint, nint, nint, int>)Find("MPI_Fetch_and_op");
        Compare_and_swap = (delegate* unmanaged<void*, void*, void*, nint, int, nint, nint, int>)Find("MPI_Compare_and_swap");
        Win_flush = (delegate* unmanaged<int, nint, int>)Find("MPI_Win_flush");
        Win_flush_all = (delegate* unmanaged<nint, int>)Find("MPI_Win_flush_all");
        Win_flush_local = (delegate* unmanaged<int, nint, int>)Find("MPI_Win_flush_local");
        Win_flush_local_all = (delegate* unmanaged<nint, int>)Find("MPI_Win_flush_local_all");
        Win_sync = (delegate* unmanaged<nint, int>)Find("MPI_Win_sync");
        Op_create = (delegate* unmanaged<void*, int, nint*, int>)Find("MPI_Op_create");
        Op_free = (delegate* unmanaged<nint*, int>)Find("MPI_Op_free");
    }

    private static nint Find(string name) =>
        DynamicLibrary.TryGetSymbol(library, name, out nint address) ? address : 0;

    /// <summary>Throws a clear error when the library lacks a function.</summary>
    internal static void Require(void* function, string name)
    {
        if (function == null)
        {
            throw new MpiUnavailableException($"the loaded MPI library does not provide {name}");
        }
    }
}
