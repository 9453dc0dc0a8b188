using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

public sealed unsafe partial class Communicator
{
    /// <summary>Blocks until every process of the communicator has called it.</summary>
    public void Barrier() => Barrier(Handle);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    internal static void Barrier(nint handle) => MpiException.Check(MpiFunctions.Barrier(handle), "MPI_Barrier");

    /// <summary>Non-blocking barrier.</summary>
    public Request Ibarrier()
    {
        nint request;
        int rc = MpiFunctions.Ibarrier(Handle, &request);
        return Request.Started(rc, "MPI_Ibarrier", request);
    }

    /// <summary>Non-blocking broadcast; <paramref name="buffer"/> stays pinned until the request completes.</summary>
    public Request Ibcast<T>(Memory<T> buffer, int root) where T : unmanaged
    {
        System.Buffers.MemoryHandle pin = buffer.Pin();
        nint request;
        int rc = MpiFunctions.Ibcast(pin.Pointer, Datatype<T>.Count(buffer.Length), Datatype<T>.Handle, root, Handle, &request);
        return Request.Started(rc, "MPI_Ibcast", request, pin);
    }

    /// <summary>Non-blocking allreduce in place (MPI_IN_PLACE); <paramref name="buffer"/> stays pinned until the request completes.</summary>
    public Request IallreduceInPlace<T>(Memory<T> buffer, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        System.Buffers.MemoryHandle pin = buffer.Pin();
        nint request;
        int rc = MpiFunctions.Iallreduce((void*)MpiAbi.Current.InPlace, pin.Pointer, buffer.Length, Datatype<T>.Handle, op.Handle, Handle, &request);
        return Request.Started(rc, "MPI_Iallreduce", request, pin);
    }

    /// <summary>Broadcasts <paramref name="buffer"/> from <paramref name="root"/> to every process.</summary>
    public void Bcast<T>(Span<T> buffer, int root) where T : unmanaged =>
        Bcast(Handle, buffer, root);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    internal static void Bcast<T>(nint handle, Span<T> buffer, int root) where T : unmanaged
    {
        fixed (T* p = buffer)
        {
            MpiException.Check(MpiFunctions.Bcast(p, Datatype<T>.Count(buffer.Length), Datatype<T>.Handle, root, handle), "MPI_Bcast");
        }
    }

    /// <summary>Broadcasts one value from <paramref name="root"/>; returns the root's value everywhere.</summary>
    public T Bcast<T>(T value, int root) where T : unmanaged
    {
        Bcast(new Span<T>(ref value), root);
        return value;
    }

    /// <summary>Combines <paramref name="send"/> element-wise over all processes into <paramref name="receive"/> at <paramref name="root"/>.</summary>
    public void Reduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op, int root) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        if (Rank == root)
        {
            RequireLength(receive.Length, send.Length, nameof(receive));
        }
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Reduce(s, r, send.Length, Datatype<T>.Handle, op.Handle, root, Handle), "MPI_Reduce");
        }
    }

    /// <summary>Combines element-wise over all processes; every process gets the result.</summary>
    // This (with its handle form), Alltoall and Alltoallv (and the checks they call) are inlined into optimized callers:
    // a benchmark kernel calls them once per iteration, too few times for tiered compilation to
    // optimize a separate method before it is re-compiled in the middle of a timed run.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Allreduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged =>
        Allreduce(Handle, send, receive, op);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Allreduce<T>(nint handle, ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        RequireLength(receive.Length, send.Length, nameof(receive));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Allreduce(s, r, send.Length, Datatype<T>.Handle, op.Handle, handle), "MPI_Allreduce");
        }
    }

    /// <summary>Allreduce in place (MPI_IN_PLACE): <paramref name="buffer"/> is both input and result.</summary>
    public void AllreduceInPlace<T>(Span<T> buffer, Op op) where T : unmanaged =>
        AllreduceInPlace(Handle, buffer, op);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    internal static void AllreduceInPlace<T>(nint handle, Span<T> buffer, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        fixed (T* r = buffer)
        {
            MpiException.Check(MpiFunctions.Allreduce((void*)MpiAbi.Current.InPlace, r, buffer.Length, Datatype<T>.Handle, op.Handle, handle), "MPI_Allreduce");
        }
    }

    /// <summary>Allreduce of one value.</summary>
    public T Allreduce<T>(T value, Op op) where T : unmanaged
    {
        T result = default;
        Allreduce(new ReadOnlySpan<T>(in value), new Span<T>(ref result), op);
        return result;
    }

    /// <summary>Inclusive prefix reduction: process i gets the combination of processes 0..i.</summary>
    public void Scan<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged =>
        Scan(Handle, send, receive, op);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    internal static void Scan<T>(nint handle, ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        RequireLength(receive.Length, send.Length, nameof(receive));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Scan(s, r, send.Length, Datatype<T>.Handle, op.Handle, handle), "MPI_Scan");
        }
    }

    /// <summary>Exclusive prefix reduction: process i gets the combination of 0..i-1 (undefined on process 0).</summary>
    public void Exscan<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged =>
        Exscan(Handle, send, receive, op);

    /// <summary>The same on <paramref name="handle"/>, the MPI handle of a communicator the caller keeps (Mitten's collectives: no load through this object before the MPI call).</summary>
    internal static void Exscan<T>(nint handle, ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        RequireLength(receive.Length, send.Length, nameof(receive));
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Exscan(s, r, send.Length, Datatype<T>.Handle, op.Handle, handle), "MPI_Exscan");
        }
    }

    /// <summary>Reduces <paramref name="send"/> (Size blocks of receive.Length) and scatters block i to process i.</summary>
    public void ReduceScatterBlock<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Datatype<T>.RequireReducible();
        RequireLength(send.Length, checked(receive.Length * Size), nameof(send), exact: true);
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Reduce_scatter_block(s, r, receive.Length, Datatype<T>.Handle, op.Handle, Handle), "MPI_Reduce_scatter_block");
        }
    }

    /// <summary>Gathers equal blocks from every process into <paramref name="receive"/> at <paramref name="root"/> (block i from process i).</summary>
    public void Gather<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        if (Rank == root)
        {
            RequireLength(receive.Length, checked(send.Length * Size), nameof(receive));
        }
        int count = Datatype<T>.Count(send.Length);
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Gather(s, count, Datatype<T>.Handle, r, count, Datatype<T>.Handle, root, Handle), "MPI_Gather");
        }
    }

    /// <summary>Gathers blocks of varying size: block i (counts[i] elements) lands at displacements[i] at the root.</summary>
    public void Gatherv<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, int root) where T : unmanaged
    {
        ReadOnlySpan<int> nativeCounts = default, nativeDispls = default;
        if (Rank == root)
        {
            CheckLayout(counts, displacements, receive.Length, nameof(receive));
            nativeCounts = Scaled<T>(counts);
            nativeDispls = Scaled<T>(displacements);
        }
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* c = nativeCounts)
        fixed (int* d = nativeDispls)
        {
            MpiException.Check(MpiFunctions.Gatherv(s, Datatype<T>.Count(send.Length), Datatype<T>.Handle, r, c, d, Datatype<T>.Handle, root, Handle), "MPI_Gatherv");
        }
    }

    /// <summary>Scatters equal blocks of <paramref name="send"/> at the root; process i gets block i.</summary>
    public void Scatter<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        if (Rank == root)
        {
            RequireLength(send.Length, checked(receive.Length * Size), nameof(send));
        }
        int count = Datatype<T>.Count(receive.Length);
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Scatter(s, count, Datatype<T>.Handle, r, count, Datatype<T>.Handle, root, Handle), "MPI_Scatter");
        }
    }

    /// <summary>Scatters blocks of varying size: process i gets counts[i] elements from displacements[i].</summary>
    public void Scatterv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, Span<T> receive, int root) where T : unmanaged
    {
        ReadOnlySpan<int> nativeCounts = default, nativeDispls = default;
        if (Rank == root)
        {
            CheckLayout(counts, displacements, send.Length, nameof(send));
            nativeCounts = Scaled<T>(counts);
            nativeDispls = Scaled<T>(displacements);
        }
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* c = nativeCounts)
        fixed (int* d = nativeDispls)
        {
            MpiException.Check(MpiFunctions.Scatterv(s, c, d, Datatype<T>.Handle, r, Datatype<T>.Count(receive.Length), Datatype<T>.Handle, root, Handle), "MPI_Scatterv");
        }
    }

    /// <summary>Every process gathers equal blocks from every process (block i from process i).</summary>
    public void Allgather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        RequireLength(receive.Length, checked(send.Length * Size), nameof(receive));
        int count = Datatype<T>.Count(send.Length);
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Allgather(s, count, Datatype<T>.Handle, r, count, Datatype<T>.Handle, Handle), "MPI_Allgather");
        }
    }

    /// <summary>Allgather of one value per process.</summary>
    public void Allgather<T>(T value, Span<T> receive) where T : unmanaged =>
        Allgather(new ReadOnlySpan<T>(in value), receive);

    /// <summary>Every process gathers blocks of varying size.</summary>
    public void Allgatherv<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements) where T : unmanaged
    {
        CheckLayout(counts, displacements, receive.Length, nameof(receive));
        ReadOnlySpan<int> nativeCounts = Scaled<T>(counts), nativeDispls = Scaled<T>(displacements);
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* c = nativeCounts)
        fixed (int* d = nativeDispls)
        {
            MpiException.Check(MpiFunctions.Allgatherv(s, Datatype<T>.Count(send.Length), Datatype<T>.Handle, r, c, d, Datatype<T>.Handle, Handle), "MPI_Allgatherv");
        }
    }

    /// <summary>Personalized all-to-all: block i of <paramref name="send"/> goes to process i; <paramref name="receive"/> block j comes from process j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Alltoall<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        int size = Size;
        if (send.Length % size != 0)
        {
            throw new ArgumentException($"the send buffer ({send.Length} elements) is not {size} equal blocks", nameof(send));
        }
        RequireLength(receive.Length, send.Length, nameof(receive));
        int count = Datatype<T>.Count(send.Length / size);
        fixed (T* s = send)
        fixed (T* r = receive)
        {
            MpiException.Check(MpiFunctions.Alltoall(s, count, Datatype<T>.Handle, r, count, Datatype<T>.Handle, Handle), "MPI_Alltoall");
        }
    }

    /// <summary>All-to-all with varying block sizes on both sides.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Alltoallv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<T> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) where T : unmanaged
    {
        CheckLayout(sendCounts, sendDisplacements, send.Length, nameof(send));
        CheckLayout(receiveCounts, receiveDisplacements, receive.Length, nameof(receive));
        ReadOnlySpan<int> nsc = Scaled<T>(sendCounts), nsd = Scaled<T>(sendDisplacements);
        ReadOnlySpan<int> nrc = Scaled<T>(receiveCounts), nrd = Scaled<T>(receiveDisplacements);
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* sc = nsc)
        fixed (int* sd = nsd)
        fixed (int* rc = nrc)
        fixed (int* rd = nrd)
        {
            MpiException.Check(MpiFunctions.Alltoallv(s, sc, sd, Datatype<T>.Handle, r, rc, rd, Datatype<T>.Handle, Handle), "MPI_Alltoallv");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequireLength(int actual, int required, string parameter, bool exact = false)
    {
        if (exact ? actual != required : actual < required)
        {
            ThrowLength(actual, required, parameter, exact);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int actual, int required, string parameter, bool exact) =>
        throw new ArgumentException(
            $"{parameter} holds {actual} elements but the operation needs {(exact ? "exactly" : "at least")} {required}", parameter);

    /// <summary>Checks a counts/displacements layout against the communicator size and the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckLayout(ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, int bufferLength, string parameter)
    {
        int size = IsInter ? RemoteSize : Size;
        if (counts.Length != size || displacements.Length != size)
        {
            ThrowLayout(counts, displacements, bufferLength, parameter, size);
        }
        for (int i = 0; i < size; i++)
        {
            if (counts[i] < 0 || displacements[i] < 0 || (long)displacements[i] + counts[i] > bufferLength)
            {
                ThrowLayout(counts, displacements, bufferLength, parameter, size);
            }
        }
    }

    /// <summary>Throws for the first fault <see cref="CheckLayout"/> found (out of line: the check stays small).</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLayout(ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, int bufferLength, string parameter, int size)
    {
        if (counts.Length != size || displacements.Length != size)
        {
            throw new ArgumentException(
                $"counts ({counts.Length}) and displacements ({displacements.Length}) must have one entry per process ({size})");
        }
        for (int i = 0; i < size; i++)
        {
            if (counts[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counts), $"count for process {i} is negative ({counts[i]})");
            }
            if (displacements[i] < 0 || (long)displacements[i] + counts[i] > bufferLength)
            {
                throw new ArgumentOutOfRangeException(parameter,
                    $"block for process {i} ({counts[i]} elements at {displacements[i]}) lies outside {parameter} ({bufferLength} elements)");
            }
        }
        throw new UnreachableException();
    }

    /// <summary>Counts or displacements in MPI units: the same span for native types, byte units otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<int> Scaled<T>(ReadOnlySpan<int> values) where T : unmanaged =>
        Datatype<T>.Scale == 1 ? values : ScaledCopy<T>(values);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int[] ScaledCopy<T>(ReadOnlySpan<int> values) where T : unmanaged
    {
        int[] result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = Datatype<T>.Count(values[i]);
        }
        return result;
    }
}
