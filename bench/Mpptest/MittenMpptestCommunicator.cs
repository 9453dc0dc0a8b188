using Mitten.GroupComm;

namespace Mitten.Bench.Mpptest;

/// <summary>
/// The Mpptest communicator through the Mitten layer (<see cref="MittenCommunicator"/>).
/// Sends and collectives map one to one. Mitten has no non-blocking receive, so
/// <see cref="StartRecv"/> only records the receive, and <see cref="WaitAll"/> performs the
/// recorded receives (blocking, in slot order) before it waits for the posted sends. Every
/// pattern posts its sends before it waits, so this cannot deadlock; but the receive is not
/// overlapped with the sends as an MPI_Irecv would be, and its buffer is not posted early
/// (an early posted receive lets a large message go straight into it).
/// </summary>
public readonly struct MittenMpptestCommunicator : IMpptestCommunicator
{
    private readonly MittenCommunicator communicator;
    private readonly MittenRequest?[] sends;
    private readonly DeferredReceive[] receives;

    private struct DeferredReceive
    {
        public Memory<byte> Buffer;
        public int Source;
        public int Tag;
        public bool Posted;
    }

    /// <summary>Wraps <paramref name="communicator"/> (a <see cref="MittenSession{TState}"/>'s).</summary>
    public MittenMpptestCommunicator(MittenCommunicator communicator, string name = "mitten")
    {
        this.communicator = communicator;
        sends = new MittenRequest?[IMpptestCommunicator.MaxPending];
        receives = new DeferredReceive[IMpptestCommunicator.MaxPending];
        Name = name;
        Rank = communicator.Rank;
        Size = communicator.Size;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void Send(ReadOnlySpan<byte> data, int destination, int tag) => communicator.Send(data, destination, tag);

    /// <inheritdoc/>
    public void Recv(Span<byte> buffer, int source, int tag) => communicator.Recv(buffer, source, tag);

    /// <inheritdoc/>
    public void StartSend(ReadOnlyMemory<byte> data, int destination, int tag, int slot) =>
        sends[slot] = communicator.Isend(data, destination, tag);

    /// <summary>Records a receive; <see cref="WaitAll"/> performs it (Mitten has no non-blocking receive).</summary>
    public void StartRecv(Memory<byte> buffer, int source, int tag, int slot) =>
        receives[slot] = new DeferredReceive { Buffer = buffer, Source = source, Tag = tag, Posted = true };

    /// <inheritdoc/>
    public void WaitAll()
    {
        for (int i = 0; i < receives.Length; i++)
        {
            ref DeferredReceive receive = ref receives[i];
            if (receive.Posted)
            {
                communicator.Recv(receive.Buffer.Span, receive.Source, receive.Tag);
                receive = default;
            }
        }
        for (int i = 0; i < sends.Length; i++)
        {
            if (sends[i] is { } request)
            {
                request.Wait();
                sends[i] = null;
            }
        }
    }

    /// <inheritdoc/>
    public void Barrier() => communicator.Barrier();

    /// <inheritdoc/>
    public void Bcast(Span<byte> buffer, int root) => communicator.Bcast(buffer, root);

    /// <inheritdoc/>
    public void ReduceSum(ReadOnlySpan<double> send, Span<double> receive, int root) => communicator.Reduce(send, receive, Op.Sum, root);

    /// <inheritdoc/>
    public void AllreduceSum(ReadOnlySpan<double> send, Span<double> receive) => communicator.Allreduce(send, receive, Op.Sum);

    /// <inheritdoc/>
    public void Alltoall(ReadOnlySpan<byte> send, Span<byte> receive) => communicator.Alltoall(send, receive);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => communicator.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();
}
