using System.Runtime.InteropServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// A one-sided communication window of <typeparamref name="T"/> elements for passive-target
/// access (lock/unlock, lock_all). Displacements are in elements. The span-based operations
/// complete locally before they return (MPI_Win_flush_local), so ordinary managed buffers
/// are safe to pass; remote completion still needs a flush or unlock. Free with
/// <see cref="Dispose"/> (collective).
/// </summary>
public sealed unsafe class Window<T> : IDisposable where T : unmanaged
{
    private nint handle;
    private readonly T* local;
    private readonly int length;
    private GCHandle pinned;

    private Window(nint handle, T* local, int length, GCHandle pinned)
    {
        this.handle = handle;
        this.local = local;
        this.length = length;
        this.pinned = pinned;
        MpiException.Check(MpiFunctions.Win_set_errhandler(handle, MpiAbi.Current.ErrorsReturn), "MPI_Win_set_errhandler");
    }

    /// <summary>Allocates a window of <paramref name="count"/> elements per process in MPI memory (collective).</summary>
    public static Window<T> Allocate(Communicator communicator, int count, Info? info = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        T* baseptr;
        nint win;
        MpiException.Check(MpiFunctions.Win_allocate((nint)count * sizeof(T), sizeof(T), Info.HandleOrNull(info), communicator.Handle, &baseptr, &win), "MPI_Win_allocate");
        new Span<T>(baseptr, count).Clear();
        return new Window<T>(win, baseptr, count, default);
    }

    /// <summary>Exposes <paramref name="memory"/> as a window (collective); the array stays pinned until the window is freed.</summary>
    public static Window<T> Create(Communicator communicator, T[] memory, Info? info = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        GCHandle pin = GCHandle.Alloc(memory, GCHandleType.Pinned);
        nint win;
        int rc = MpiFunctions.Win_create((void*)pin.AddrOfPinnedObject(), (nint)memory.Length * sizeof(T), sizeof(T), Info.HandleOrNull(info), communicator.Handle, &win);
        if (rc != 0)
        {
            pin.Free();
            MpiException.Check(rc, "MPI_Win_create");
        }
        return new Window<T>(win, (T*)pin.AddrOfPinnedObject(), memory.Length, pin);
    }

    private nint Handle => handle != 0 ? handle : throw new ObjectDisposedException(nameof(Window<T>), "the window was freed");

    /// <summary>This process's part of the window.</summary>
    public Span<T> Local => handle != 0 ? new Span<T>(local, length) : throw new ObjectDisposedException(nameof(Window<T>), "the window was freed");

    /// <summary>Number of elements in this process's part.</summary>
    public int Length => length;

    /// <summary>Starts a passive-target epoch on <paramref name="rank"/>.</summary>
    public void Lock(int rank, LockType type = LockType.Exclusive)
    {
        MpiAbi abi = MpiAbi.Current;
        MpiException.Check(MpiFunctions.Win_lock(type == LockType.Exclusive ? abi.LockExclusive : abi.LockShared, rank, 0, Handle), "MPI_Win_lock");
    }

    /// <summary>Ends the epoch on <paramref name="rank"/>; its operations complete at origin and target.</summary>
    public void Unlock(int rank) => MpiException.Check(MpiFunctions.Win_unlock(rank, Handle), "MPI_Win_unlock");

    /// <summary>Starts a shared passive-target epoch on every process.</summary>
    public void LockAll() => MpiException.Check(MpiFunctions.Win_lock_all(0, Handle), "MPI_Win_lock_all");

    /// <summary>Ends the epoch started by <see cref="LockAll"/>.</summary>
    public void UnlockAll() => MpiException.Check(MpiFunctions.Win_unlock_all(Handle), "MPI_Win_unlock_all");

    /// <summary>Writes <paramref name="origin"/> into <paramref name="target"/>'s part at <paramref name="displacement"/>.</summary>
    public void Put(ReadOnlySpan<T> origin, int target, long displacement)
    {
        CheckRange(origin.Length, displacement);
        fixed (T* o = origin)
        {
            int count = Datatype<T>.Count(origin.Length);
            MpiException.Check(MpiFunctions.Put(o, count, Datatype<T>.Handle, target, (nint)(displacement * Datatype<T>.Scale), count, Datatype<T>.Handle, Handle), "MPI_Put");
            MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        }
    }

    /// <summary>Reads <paramref name="origin"/>.Length elements from <paramref name="target"/>'s part at <paramref name="displacement"/>.</summary>
    public void Get(Span<T> origin, int target, long displacement)
    {
        CheckRange(origin.Length, displacement);
        fixed (T* o = origin)
        {
            int count = Datatype<T>.Count(origin.Length);
            MpiException.Check(MpiFunctions.Get(o, count, Datatype<T>.Handle, target, (nint)(displacement * Datatype<T>.Scale), count, Datatype<T>.Handle, Handle), "MPI_Get");
            MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        }
    }

    /// <summary>Combines <paramref name="origin"/> into the target element-wise with <paramref name="op"/> (atomic per element).</summary>
    public void Accumulate(ReadOnlySpan<T> origin, int target, long displacement, Op op)
    {
        Datatype<T>.RequireReducible();
        CheckRange(origin.Length, displacement);
        fixed (T* o = origin)
        {
            MpiException.Check(MpiFunctions.Accumulate(o, origin.Length, Datatype<T>.Handle, target, (nint)displacement, origin.Length, Datatype<T>.Handle, op.Handle, Handle), "MPI_Accumulate");
            MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        }
    }

    /// <summary>Atomically fetches the target's old values into <paramref name="result"/> and combines <paramref name="origin"/> into it.</summary>
    public void GetAccumulate(ReadOnlySpan<T> origin, Span<T> result, int target, long displacement, Op op)
    {
        Datatype<T>.RequireReducible();
        CheckRange(result.Length, displacement);
        if (op != Op.NoOp && origin.Length != result.Length)
        {
            throw new ArgumentException($"origin ({origin.Length}) and result ({result.Length}) must have the same length", nameof(result));
        }
        fixed (T* o = origin)
        fixed (T* r = result)
        {
            MpiException.Check(MpiFunctions.Get_accumulate(o, origin.Length, Datatype<T>.Handle, r, result.Length, Datatype<T>.Handle,
                target, (nint)displacement, result.Length, Datatype<T>.Handle, op.Handle, Handle), "MPI_Get_accumulate");
            MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        }
    }

    /// <summary>Atomically combines <paramref name="value"/> into one target element and returns its previous value.</summary>
    public T FetchAndOp(T value, int target, long displacement, Op op)
    {
        Datatype<T>.RequireReducible();
        CheckRange(1, displacement);
        T result;
        MpiException.Check(MpiFunctions.Fetch_and_op(&value, &result, Datatype<T>.Handle, target, (nint)displacement, op.Handle, Handle), "MPI_Fetch_and_op");
        MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        return result;
    }

    /// <summary>
    /// Fetch-and-op with the same <paramref name="value"/> on the element at
    /// <paramref name="displacement"/> of every rank in <paramref name="targets"/>: all are
    /// started before any is waited for and then completed together (one
    /// MPI_Win_flush_local_all), so the targets' answers overlap. Each is atomic on its own
    /// element; <paramref name="results"/>[i] receives targets[i]'s previous value.
    /// </summary>
    public void FetchAndOpEach(T value, ReadOnlySpan<int> targets, long displacement, Op op, Span<T> results)
    {
        Datatype<T>.RequireReducible();
        CheckRange(1, displacement);
        if (results.Length != targets.Length)
        {
            throw new ArgumentException($"results ({results.Length}) must have one element per target ({targets.Length})", nameof(results));
        }
        fixed (T* r = results)
        {
            int started = 0;
            int rc = 0;
            for (; started < targets.Length && rc == 0; started++)
            {
                rc = MpiFunctions.Fetch_and_op(&value, r + started, Datatype<T>.Handle, targets[started], (nint)displacement, op.Handle, Handle);
            }
            int flushed = MpiFunctions.Win_flush_local_all(Handle); // complete whatever was started, also after an error
            MpiException.Check(rc, "MPI_Fetch_and_op");
            MpiException.Check(flushed, "MPI_Win_flush_local_all");
        }
    }

    /// <summary>
    /// Reads a block of results.Length / targets.Length elements at <paramref name="displacement"/>
    /// from every rank in <paramref name="targets"/>, overlapped and completed together; block i
    /// of <paramref name="results"/> comes from targets[i].
    /// </summary>
    public void GetEach(ReadOnlySpan<int> targets, long displacement, Span<T> results)
    {
        if (targets.Length == 0)
        {
            return;
        }
        if (results.Length % targets.Length != 0)
        {
            throw new ArgumentException($"results ({results.Length}) must hold an equal block per target ({targets.Length})", nameof(results));
        }
        int block = results.Length / targets.Length;
        CheckRange(block, displacement);
        fixed (T* r = results)
        {
            int count = Datatype<T>.Count(block);
            int rc = 0;
            for (int i = 0; i < targets.Length && rc == 0; i++)
            {
                rc = MpiFunctions.Get(r + i * block, count, Datatype<T>.Handle, targets[i], (nint)(displacement * Datatype<T>.Scale), count, Datatype<T>.Handle, Handle);
            }
            int flushed = MpiFunctions.Win_flush_local_all(Handle);
            MpiException.Check(rc, "MPI_Get");
            MpiException.Check(flushed, "MPI_Win_flush_local_all");
        }
    }

    /// <summary>Atomically replaces one target element with <paramref name="value"/> if it equals <paramref name="compare"/>; returns the previous value.</summary>
    public T CompareAndSwap(T value, T compare, int target, long displacement)
    {
        Datatype<T>.RequireReducible();
        CheckRange(1, displacement);
        T result;
        MpiException.Check(MpiFunctions.Compare_and_swap(&value, &compare, &result, Datatype<T>.Handle, target, (nint)displacement, Handle), "MPI_Compare_and_swap");
        MpiException.Check(MpiFunctions.Win_flush_local(target, Handle), "MPI_Win_flush_local");
        return result;
    }

    /// <summary>Completes every operation to <paramref name="rank"/> at origin and target.</summary>
    public void Flush(int rank) => MpiException.Check(MpiFunctions.Win_flush(rank, Handle), "MPI_Win_flush");

    /// <summary>Completes every operation to every target.</summary>
    public void FlushAll() => MpiException.Check(MpiFunctions.Win_flush_all(Handle), "MPI_Win_flush_all");

    /// <summary>Completes every operation to <paramref name="rank"/> at the origin.</summary>
    public void FlushLocal(int rank) => MpiException.Check(MpiFunctions.Win_flush_local(rank, Handle), "MPI_Win_flush_local");

    /// <summary>Completes every operation at the origin.</summary>
    public void FlushLocalAll() => MpiException.Check(MpiFunctions.Win_flush_local_all(Handle), "MPI_Win_flush_local_all");

    /// <summary>Synchronizes the private and public copies of this process's part (MPI_Win_sync).</summary>
    public void Sync() => MpiException.Check(MpiFunctions.Win_sync(Handle), "MPI_Win_sync");

    /// <summary>Frees the window (collective) and unpins its memory.</summary>
    public void Dispose()
    {
        if (handle == 0)
        {
            return;
        }
        nint h = handle;
        handle = 0;
        int rc = MpiFunctions.Win_free(&h);
        if (pinned.IsAllocated)
        {
            pinned.Free();
        }
        MpiException.Check(rc, "MPI_Win_free");
    }

    private static void CheckRange(int count, long displacement)
    {
        if (displacement < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(displacement), $"displacement {displacement} is negative");
        }
        // The target's size is not known locally; MPI reports a target range error itself.
        _ = count;
    }
}
