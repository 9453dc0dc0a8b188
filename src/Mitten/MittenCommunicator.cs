using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// The group's communicator as the application sees it: the same point-to-point and
/// collective operations as <see cref="GroupComm.Communicator"/>, with ranks that stay
/// valid across migrations. Point-to-point receives look at messages drained during a
/// migration first; collectives count supersteps. Tags must be below 32767.
/// </summary>
public sealed class MittenCommunicator
{
    private readonly GroupProtocol protocol;

    internal MittenCommunicator(GroupProtocol protocol) => this.protocol = protocol;

    private GroupComm.Communicator Group => protocol.Application;

    /// <summary>This process's rank.</summary>
    public int Rank => protocol.Rank;

    /// <summary>Number of processes.</summary>
    public int Size => protocol.Size;

    /// <summary>Wildcard source for receives.</summary>
    public static int AnySource => Mpi.AnySource;

    /// <summary>Wildcard tag for receives.</summary>
    public static int AnyTag => Mpi.AnyTag;

    /// <summary>Sends <paramref name="data"/> to <paramref name="destination"/>.</summary>
    public void Send<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged => protocol.Send(data, destination, tag);

    /// <summary>Sends one value.</summary>
    public void Send<T>(T value, int destination, int tag) where T : unmanaged => protocol.Send(new ReadOnlySpan<T>(in value), destination, tag);

    /// <summary>Starts a send of <paramref name="data"/>; complete it with <see cref="MittenRequest.Wait"/>.</summary>
    public MittenRequest Isend<T>(ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged => protocol.StartSend(data, destination, tag);

    /// <summary>
    /// Starts a receive into <paramref name="buffer"/> (source and tag may be wildcards); complete
    /// it with <see cref="MittenRequest.Wait"/>. Receives match messages in the order they were
    /// started, also across a migration of another rank.
    /// </summary>
    public MittenRequest Irecv<T>(Memory<T> buffer, int source, int tag) where T : unmanaged => protocol.StartReceive(buffer, source, tag);

    /// <summary>Receives into <paramref name="buffer"/> (source and tag may be wildcards).</summary>
    public ReceiveStatus Recv<T>(Span<T> buffer, int source, int tag) where T : unmanaged => protocol.Receive(buffer, source, tag);

    /// <summary>Receives one value.</summary>
    public T Recv<T>(int source, int tag) where T : unmanaged
    {
        T value = default;
        protocol.Receive(new Span<T>(ref value), source, tag);
        return value;
    }

    /// <summary>Blocks until every process has called it.</summary>
    public void Barrier()
    {
        Group.Barrier();
        protocol.Collectives++;
    }

    /// <summary>Broadcasts from <paramref name="root"/>.</summary>
    public void Bcast<T>(Span<T> buffer, int root) where T : unmanaged
    {
        Group.Bcast(buffer, root);
        protocol.Collectives++;
    }

    /// <summary>Reduces to <paramref name="root"/>.</summary>
    public void Reduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op, int root) where T : unmanaged
    {
        Group.Reduce(send, receive, op, root);
        protocol.Collectives++;
    }

    /// <summary>Reduces; everyone gets the result.</summary>
    public void Allreduce<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Group.Allreduce(send, receive, op);
        protocol.Collectives++;
    }

    /// <summary>Allreduce in place.</summary>
    public void AllreduceInPlace<T>(Span<T> buffer, Op op) where T : unmanaged
    {
        Group.AllreduceInPlace(buffer, op);
        protocol.Collectives++;
    }

    /// <summary>Allreduce of one value.</summary>
    public T Allreduce<T>(T value, Op op) where T : unmanaged
    {
        T result = Group.Allreduce(value, op);
        protocol.Collectives++;
        return result;
    }

    /// <summary>Gathers equal blocks to <paramref name="root"/>.</summary>
    public void Gather<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        Group.Gather(send, receive, root);
        protocol.Collectives++;
    }

    /// <summary>Everyone gathers equal blocks.</summary>
    public void Allgather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        Group.Allgather(send, receive);
        protocol.Collectives++;
    }

    /// <summary>Scatters equal blocks from <paramref name="root"/>.</summary>
    public void Scatter<T>(ReadOnlySpan<T> send, Span<T> receive, int root) where T : unmanaged
    {
        Group.Scatter(send, receive, root);
        protocol.Collectives++;
    }

    /// <summary>Personalized all-to-all with equal blocks.</summary>
    public void Alltoall<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        Group.Alltoall(send, receive);
        protocol.Collectives++;
    }

    /// <summary>All-to-all with varying blocks.</summary>
    public void Alltoallv<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<T> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) where T : unmanaged
    {
        Group.Alltoallv(send, sendCounts, sendDisplacements, receive, receiveCounts, receiveDisplacements);
        protocol.Collectives++;
    }

    /// <summary>Inclusive prefix reduction.</summary>
    public void Scan<T>(ReadOnlySpan<T> send, Span<T> receive, Op op) where T : unmanaged
    {
        Group.Scan(send, receive, op);
        protocol.Collectives++;
    }
}
