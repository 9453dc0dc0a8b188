using System.Runtime.CompilerServices;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// The group's communicator as the application sees it: the same point-to-point and
/// collective operations as <see cref="GroupComm.Communicator"/>, with ranks that stay
/// valid across migrations. Point-to-point receives look at messages drained during a
/// migration first; collectives count supersteps. Tags must be below 32767.
/// </summary>
public sealed partial class MittenCommunicator
{
    private readonly GroupProtocol protocol;
    private readonly Channel channel;

    internal MittenCommunicator(GroupProtocol protocol) : this(protocol, protocol.World)
    {
    }

    private MittenCommunicator(GroupProtocol protocol, Channel channel)
    {
        this.protocol = protocol;
        this.channel = channel;
        channel.Facade = this;
    }

    /// <summary>
    /// The channel's MPI communicator while this communicator may be used, else null: the one
    /// load and test a call makes before its MPI call (<see cref="usableHandle"/> for the
    /// collectives that need only the handle). Filled by <see cref="Refresh"/> (which
    /// checks what <see cref="Ready"/> checks); emptied by the channel when its communicator is
    /// replaced (a rebuild) or it is freed. A protocol only ever leaves the "replacement before
    /// its first migration point" state, so that state needs no emptying.
    /// </summary>
    private GroupComm.Communicator? usable;

    /// <summary>
    /// Collective operations completed on this communicator (the protocol reads and sets it as
    /// <see cref="Channel.Collectives"/>). Kept here rather than in the channel so that a
    /// collective counts itself with one increment on the object it was called on.
    /// </summary>
    /// <remarks>
    /// A blocking collective counts itself before its MPI call, through <see cref="CountedGroup"/>
    /// or <see cref="CountedHandle"/> (so nothing of this object is needed after the call: no
    /// register is saved around it). The
    /// count is read only on this thread at protocol points, never during the call, so that is
    /// the same count at every point the protocol looks. A collective the readiness check refuses
    /// does not count; one the binding refuses (an argument error, or an MPI error, after which
    /// MPI's state is undefined) counts as made.
    /// </remarks>
    internal long CollectiveCount;

    /// <summary>The MPI communicator to call, after the readiness check.</summary>
    private GroupComm.Communicator Group
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => usable ?? Refresh();
    }

    /// <summary>
    /// The MPI communicator to call for a blocking collective, after counting it and the readiness
    /// check. The count comes first so that the object is not needed after the test: the common
    /// path then keeps nothing across it (counting after the test had the JIT save the object on
    /// the stack on every call, for the rare path only; bench/RESULTS.md "kern23").
    /// </summary>
    private GroupComm.Communicator CountedGroup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            CollectiveCount++;
            return usable ?? RefreshCounted();
        }
    }

    /// <summary>
    /// The MPI handle of <see cref="usable"/> (0 while it is null), set and emptied with it: what
    /// the collectives that need nothing but the handle (barrier, broadcast, allreduce, scans) pass
    /// to the binding's handle forms, after counting themselves. Their call then loads one field of
    /// this object and tests it, as a call on the binding's own communicator loads and tests its
    /// handle: in the jitted loop of a 0-byte broadcast, Mitten's path is the binding's plus the
    /// count's one increment (bench/RESULTS.md "kern23").
    /// </summary>
    private nint usableHandle;

    /// <summary><see cref="CountedGroup"/>'s handle form: counts the collective, then the readiness check.</summary>
    private nint CountedHandle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            CollectiveCount++;
            nint handle = usableHandle;
            if (handle == 0)
            {
                handle = RefreshCounted().Handle;
            }
            return handle;
        }
    }

    /// <summary><see cref="Refresh"/> for <see cref="CountedGroup"/> and <see cref="CountedHandle"/>: a refused collective is not counted.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private GroupComm.Communicator RefreshCounted()
    {
        CollectiveCount--;
        GroupComm.Communicator group = Refresh();
        CollectiveCount++;
        return group;
    }

    /// <summary>The channel's communicator changed or it was freed (called by <see cref="Channel"/>).</summary>
    internal void ForgetUsable()
    {
        usable = null;
        usableHandle = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private GroupComm.Communicator Refresh()
    {
        if (protocol.AwaitingFirstMigrationPoint || channel.Freed)
        {
            ThrowNotReady();
        }
        GroupComm.Communicator current = channel.Communicator;
        usableHandle = current.Handle;
        return usable = current;
    }

    /// <summary>This process's rank (in this communicator; a derived one keeps its ranks across migrations).</summary>
    public int Rank => channel.IsGroup ? protocol.Rank : channel.RankAtCreation;

    /// <summary>Number of processes.</summary>
    public int Size => channel.IsGroup ? protocol.Size : channel.GroupRanks?.Length ?? 0;

    /// <summary>Wildcard source for receives.</summary>
    public static int AnySource => Mpi.AnySource;

    /// <summary>Wildcard tag for receives.</summary>
    public static int AnyTag => Mpi.AnyTag;

    /// <summary>Sends <paramref name="data"/> to <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        protocol.Send(channel, Group, data, destination, tag);
    }

    /// <summary>Sends one value.</summary>
    public void Send<T>(T value, int destination, int tag) where T : unmanaged => Send(new ReadOnlySpan<T>(in value), destination, tag);

    /// <summary>Starts a send of <paramref name="data"/>; complete it with <see cref="MittenRequest.Wait"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public MittenRequest Isend<T>(ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged
    {
        return protocol.StartSend(channel, Group, data, destination, tag);
    }

    /// <summary>
    /// Starts a receive into <paramref name="buffer"/> (source and tag may be wildcards); complete
    /// it with <see cref="MittenRequest.Wait"/>. Receives match messages in the order they were
    /// started, also across a migration of another rank.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public MittenRequest Irecv<T>(Memory<T> buffer, int source, int tag) where T : unmanaged
    {
        return protocol.StartReceive(channel, Group, buffer, source, tag);
    }

    /// <summary>Receives into <paramref name="buffer"/> (source and tag may be wildcards).</summary>
    /// <exception cref="MessageTruncatedException">The message is larger than <paramref name="buffer"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReceiveStatus Recv<T>(Span<T> buffer, int source, int tag) where T : unmanaged =>
        protocol.Receive(channel, Group, buffer, source, tag); // raises a truncation as MessageTruncatedException itself

    /// <summary>Receives one value.</summary>
    public T Recv<T>(int source, int tag) where T : unmanaged
    {
        T value = default;
        Recv(new Span<T>(ref value), source, tag);
        return value;
    }

    /// <summary>MPI_PROC_NULL: a send to it or a receive from it completes at once and does nothing (a receive gets a count of 0).</summary>
    public static int ProcNull => Mpi.ProcNull;

    /// <summary>
    /// Sends <paramref name="send"/> to <paramref name="destination"/> and receives into
    /// <paramref name="receive"/> (source and tag may be wildcards) at once, so two ranks that
    /// exchange with each other cannot deadlock (a halo exchange). Takes part in a migration
    /// while it waits, like <see cref="Recv{T}(Span{T}, int, int)"/>.
    /// </summary>
    /// <exception cref="MessageTruncatedException">The received message is larger than <paramref name="receive"/>.</exception>
    public ReceiveStatus Sendrecv<TSend, TReceive>(ReadOnlySpan<TSend> send, int destination, int sendTag,
        Span<TReceive> receive, int source, int receiveTag) where TSend : unmanaged where TReceive : unmanaged
    {
        Ready();
        try
        {
            return protocol.SendReceive(channel, send, destination, sendTag, receive, source, receiveTag);
        }
        catch (MpiException e) when (MessageTruncatedException.IsTruncation(e))
        {
            throw Truncated(e, source, receiveTag, receive.Length * (long)Unsafe.SizeOf<TReceive>());
        }
    }

    /// <summary>Sends the contents of <paramref name="buffer"/> and replaces them with the received message (MPI_Sendrecv_replace).</summary>
    /// <exception cref="MessageTruncatedException">The received message is larger than <paramref name="buffer"/>.</exception>
    public ReceiveStatus Sendrecv_replace<T>(Span<T> buffer, int destination, int sendTag, int source, int receiveTag) where T : unmanaged
    {
        Ready();
        try
        {
            return protocol.SendReceiveReplace(channel, buffer, destination, sendTag, source, receiveTag);
        }
        catch (MpiException e) when (MessageTruncatedException.IsTruncation(e))
        {
            throw Truncated(e, source, receiveTag, buffer.Length * (long)Unsafe.SizeOf<T>());
        }
    }

    /// <summary>
    /// Synchronous send: returns once the receiver has started to receive the message. Takes part
    /// in a migration while it waits (a receiver that stops first takes the message in its drain).
    /// </summary>
    public void Ssend<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        Ready();
        protocol.SynchronousSend(channel, data, destination, tag);
    }

    /// <summary>
    /// Waits until a message matching <paramref name="source"/> and <paramref name="tag"/> (wildcards
    /// allowed) can be received, without receiving it: its sender, tag and size in elements of
    /// <typeparamref name="T"/>. Messages drained during a migration are seen first, as a receive
    /// would take them. Takes part in a migration while it waits.
    /// </summary>
    public ReceiveStatus Probe<T>(int source, int tag) where T : unmanaged
    {
        Ready();
        return protocol.Probe<T>(channel, source, tag);
    }

    /// <summary>Whether a matching message can be received now (see <see cref="Probe{T}"/>), without blocking.</summary>
    public bool Iprobe<T>(int source, int tag, out ReceiveStatus status) where T : unmanaged
    {
        Ready();
        return GroupProtocol.Iprobe<T>(channel, source, tag, out status);
    }

    private static MessageTruncatedException Truncated(MpiException e, int source, int tag, long bufferBytes) =>
        new(source, tag, -1, bufferBytes, e);

    /// <summary>Blocks until every process has called it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Barrier()
    {
        GroupComm.Communicator.Barrier(CountedHandle);
    }

    /// <summary>Broadcasts from <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bcast<T>(Span<T> buffer, int root) where T : unmanaged
    {
        GroupComm.Communicator.Bcast(CountedHandle, buffer, root);
    }

    /// <summary>Broadcasts one value from <paramref name="root"/>; returns the root's value everywhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Bcast<T>(T value, int root) where T : unmanaged
    {
        Bcast(new Span<T>(ref value), root);
        return value;
    }

    /// <summary>Reduces to <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op, int root) where T : unmanaged
    {
        CountedGroup.Reduce(send, receive, op, root);
    }

    /// <summary>Reduces; everyone gets the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Allreduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        GroupComm.Communicator.Allreduce(CountedHandle, send, receive, op);
    }

    /// <summary>Allreduce in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AllreduceInPlace<T>(Span<T> buffer, Op op) where T : unmanaged
    {
        GroupComm.Communicator.AllreduceInPlace(CountedHandle, buffer, op);
    }

    /// <summary>Allreduce of one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Allreduce<T>(T value, Op op) where T : unmanaged
    {
        T result = default;
        Allreduce(new ReadOnlySpan<T>(in value), new Span<T>(ref result), op);
        return result;
    }

    /// <summary>Gathers equal blocks to <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gather<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        CountedGroup.Gather(send, receive, root);
    }

    /// <summary>Everyone gathers equal blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Allgather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CountedGroup.Allgather(send, receive);
    }

    /// <summary>Scatters equal blocks from <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scatter<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        CountedGroup.Scatter(send, receive, root);
    }

    /// <summary>Personalized all-to-all with equal blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Alltoall<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CountedGroup.Alltoall(send, receive);
    }

    /// <summary>All-to-all with varying blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Alltoallv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<T> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) where T : unmanaged
    {
        CountedGroup.Alltoallv(send, sendCounts, sendDisplacements, receive, receiveCounts, receiveDisplacements);
    }

    /// <summary>Gathers blocks of varying size to <paramref name="root"/>: rank r's block lands at <paramref name="displacements"/>[r] (significant at the root only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gatherv<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, int root) where T : unmanaged
    {
        CountedGroup.Gatherv(send, receive, counts, displacements, root);
    }

    /// <summary>Scatters blocks of varying size from <paramref name="root"/> (counts and displacements significant at the root only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scatterv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements, Span<T> receive, int root) where T : unmanaged
    {
        CountedGroup.Scatterv(send, counts, displacements, receive, root);
    }

    /// <summary>Everyone gathers blocks of varying size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Allgatherv<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts, ReadOnlySpan<int> displacements) where T : unmanaged
    {
        CountedGroup.Allgatherv(send, receive, counts, displacements);
    }

    /// <summary>Reduces <paramref name="send"/> (Size blocks of <paramref name="receive"/>'s length) and gives rank r block r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reduce_scatter_block<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        CountedGroup.ReduceScatterBlock(send, receive, op);
    }

    /// <summary>Exclusive prefix reduction: rank r gets the reduction of ranks 0..r-1 (undefined on rank 0, as in MPI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exscan<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        GroupComm.Communicator.Exscan(CountedHandle, send, receive, op);
    }

    /// <summary>Inclusive prefix reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scan<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        GroupComm.Communicator.Scan(CountedHandle, send, receive, op);
    }

    /// <summary>
    /// Refuses communication on a replacement before its first migration point (the program's
    /// code there already ran on the old process, with the other ranks: repeating it would hang).
    /// </summary>
    /// <remarks>On every call: one load and test of <see cref="usable"/>; the checks themselves are in <see cref="Refresh"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ready() => _ = Group;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotReady()
    {
        if (channel.Freed)
        {
            throw new ObjectDisposedException($"communicator {Id}", $"communicator {Id} was freed (Free)");
        }
        throw new InvalidOperationException(
            $"rank {Rank} is a replacement that has not reached its first migration point: it must not communicate before it " +
            "(its predecessor already ran that code with the other ranks); call session.MigrationPoint() first");
    }
}
