using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// An MPI communicator (intra- or inter-). One thin wrapper per MPI_Comm: the program owns
/// the communicators it creates and frees them with <see cref="Dispose"/> (collective);
/// nothing is freed by the garbage collector. The predefined ones are never freed.
/// Point-to-point, collective and dynamic-process operations are in the partial files
/// beside this one.
/// </summary>
public sealed unsafe partial class Communicator : IDisposable
{
    private nint handle;
    private readonly bool predefined;
    private readonly string name;
    private int cachedRank = -1; // a communicator's rank and size never change
    private int cachedSize = -1;

    private Communicator(nint handle, bool predefined, string name)
    {
        this.handle = handle;
        this.predefined = predefined;
        this.name = name;
    }

    internal static Communicator Predefined(nint handle, string name)
    {
        MpiException.Check(MpiFunctions.Comm_set_errhandler(handle, MpiAbi.Current.ErrorsReturn), "MPI_Comm_set_errhandler");
        return new Communicator(handle, predefined: true, name);
    }

    /// <summary>Wraps a communicator handle the program now owns and sets errors-return on it.</summary>
    internal static Communicator Adopt(nint handle, string name)
    {
        MpiException.Check(MpiFunctions.Comm_set_errhandler(handle, MpiAbi.Current.ErrorsReturn), "MPI_Comm_set_errhandler");
        return new Communicator(handle, predefined: false, name);
    }

    /// <summary>The native MPI_Comm handle (for interoperating with native MPI code).</summary>
    public nint Handle
    {
        get
        {
            if (handle == 0)
            {
                ThrowFreed();
            }
            return handle;
        }
    }

    /// <summary>Whether <see cref="Dispose"/> or <see cref="Disconnect"/> released this communicator.</summary>
    public bool IsFreed => handle == 0;

    /// <summary>This process's rank in the (local group of the) communicator.</summary>
    public int Rank
    {
        get
        {
            if (cachedRank < 0)
            {
                int rank;
                MpiException.Check(MpiFunctions.Comm_rank(Handle, &rank), "MPI_Comm_rank");
                cachedRank = rank;
            }
            else if (handle == 0)
            {
                ThrowFreed();
            }
            return cachedRank;
        }
    }

    /// <summary>The number of processes in the (local group of the) communicator.</summary>
    public int Size
    {
        // Small and inlined into optimized callers (a collective's argument checks read it).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int size = cachedSize;
            return size >= 0 && handle != 0 ? size : FetchSize();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FetchSize()
    {
        if (cachedSize < 0)
        {
            int size;
            MpiException.Check(MpiFunctions.Comm_size(Handle, &size), "MPI_Comm_size");
            cachedSize = size;
        }
        else if (handle == 0)
        {
            ThrowFreed();
        }
        return cachedSize;
    }

    /// <summary>Whether this is an intercommunicator.</summary>
    public bool IsInter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int flag;
            MpiException.Check(MpiFunctions.Comm_test_inter(Handle, &flag), "MPI_Comm_test_inter");
            return flag != 0;
        }
    }

    /// <summary>The size of the remote group of an intercommunicator.</summary>
    public int RemoteSize
    {
        get
        {
            int size;
            MpiException.Check(MpiFunctions.Comm_remote_size(Handle, &size), "MPI_Comm_remote_size");
            return size;
        }
    }

    /// <summary>Duplicates the communicator (collective): same group, new context.</summary>
    public Communicator Dup()
    {
        nint result;
        MpiException.Check(MpiFunctions.Comm_dup(Handle, &result), "MPI_Comm_dup");
        return Adopt(result, name + "'");
    }

    /// <summary>
    /// Splits the communicator (collective). Processes passing the same <paramref name="color"/>
    /// end up together, ordered by <paramref name="key"/>; a negative color means "not in any
    /// part" and returns null.
    /// </summary>
    public Communicator? Split(int color, int key)
    {
        int nativeColor = color < 0 ? MpiAbi.Current.Undefined : color;
        nint result;
        MpiException.Check(MpiFunctions.Comm_split(Handle, nativeColor, key, &result), "MPI_Comm_split");
        return result == MpiAbi.Current.CommNull ? null : Adopt(result, $"{name}/split({color})");
    }

    /// <summary>Creates a communicator from a subgroup (collective); null on processes outside it.</summary>
    public Communicator? Create(Group group)
    {
        nint result;
        MpiException.Check(MpiFunctions.Comm_create(Handle, group.Handle, &result), "MPI_Comm_create");
        return result == MpiAbi.Current.CommNull ? null : Adopt(result, $"{name}/create");
    }

    /// <summary>
    /// Creates a communicator of <paramref name="group"/> (a subgroup of this communicator's
    /// group; MPI_Comm_create_group, MPI-3). Unlike <see cref="Create"/> it is collective only
    /// over the members of <paramref name="group"/>: processes of this communicator outside it
    /// take no part (they may be busy, or gone). Every member passes the same group (the same
    /// processes in the same order, which gives the new ranks) and the same <paramref name="tag"/>,
    /// which keeps concurrent creations on this communicator apart. Call it only on members.
    /// </summary>
    public Communicator CreateFromGroup(Group group, int tag)
    {
        ArgumentNullException.ThrowIfNull(group);
        nint result;
        MpiException.Check(MpiFunctions.Comm_create_group(Handle, group.Handle, tag, &result), "MPI_Comm_create_group");
        return Adopt(result, $"{name}/create_group");
    }

    /// <summary>
    /// Creates an intercommunicator between this communicator's group and another group
    /// (MPI_Intercomm_create; collective over both groups). The two leaders
    /// (<paramref name="localLeader"/> here, <paramref name="remoteLeader"/> there) must both
    /// be members of <paramref name="peer"/>, where <paramref name="remoteLeader"/> is the other
    /// leader's rank; <paramref name="peer"/> matters only at the local leader, and no other of
    /// its members takes part. <paramref name="tag"/> must be the same on both leaders.
    /// </summary>
    public Communicator CreateIntercommunicator(int localLeader, Communicator peer, int remoteLeader, int tag)
    {
        ArgumentNullException.ThrowIfNull(peer);
        nint result;
        MpiException.Check(MpiFunctions.Intercomm_create(Handle, localLeader, peer.Handle, remoteLeader, tag, &result), "MPI_Intercomm_create");
        return Adopt(result, $"intercomm({name})");
    }

    /// <summary>Compares two communicators.</summary>
    public CompareResult Compare(Communicator other)
    {
        int result;
        MpiException.Check(MpiFunctions.Comm_compare(Handle, other.Handle, &result), "MPI_Comm_compare");
        return MpiAbi.Current.CompareResultFromNative(result);
    }

    /// <summary>The group of this communicator (the local group of an intercommunicator).</summary>
    public Group Group
    {
        get
        {
            nint group;
            MpiException.Check(MpiFunctions.Comm_group(Handle, &group), "MPI_Comm_group");
            return new Group(group);
        }
    }

    /// <summary>Frees the communicator (MPI_Comm_free, collective). Predefined communicators are left alone.</summary>
    public void Dispose()
    {
        if (predefined || handle == 0)
        {
            return;
        }
        nint h = handle;
        handle = 0;
        MpiException.Check(MpiFunctions.Comm_free(&h), "MPI_Comm_free");
    }

    /// <inheritdoc/>
    public override string ToString() => handle == 0 ? $"{name} (freed)" : name;

    private void ThrowFreed() => throw new ObjectDisposedException(name, $"the communicator {name} was freed");
}
