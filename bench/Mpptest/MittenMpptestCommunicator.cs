using Mitten.GroupComm;

namespace Mitten.Bench.Mpptest;

/// <summary>
/// The Mpptest communicator through the Mitten layer (<see cref="MittenCommunicator"/>).
/// Every operation maps one to one: blocking and non-blocking sends and receives
/// (<see cref="MittenCommunicator.Isend{T}"/>, <see cref="MittenCommunicator.Irecv{T}"/>) and
/// the collectives.
/// </summary>
public readonly struct MittenMpptestCommunicator : IMpptestCommunicator
{
    private readonly MittenCommunicator communicator;
    private readonly MittenRequest[] pending;
    private readonly StartedSlots started;

    /// <summary>Which slots hold a request (bit i: slot i), so that WaitAll touches only those, as <see cref="PlainCommunicator"/> skips its empty (null) slots.</summary>
    private sealed class StartedSlots
    {
        internal int Bits;
    }

    /// <summary>Wraps <paramref name="communicator"/> (a <see cref="MittenSession{TState}"/>'s).</summary>
    public MittenMpptestCommunicator(MittenCommunicator communicator, string name = "mitten")
    {
        this.communicator = communicator;
        pending = new MittenRequest[IMpptestCommunicator.MaxPending];
        started = new StartedSlots();
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
    public void StartSend(ReadOnlyMemory<byte> data, int destination, int tag, int slot)
    {
        pending[slot] = communicator.Isend(data, destination, tag);
        started.Bits |= 1 << slot;
    }

    /// <inheritdoc/>
    public void StartRecv(Memory<byte> buffer, int source, int tag, int slot)
    {
        pending[slot] = communicator.Irecv(buffer, source, tag);
        started.Bits |= 1 << slot;
    }

    /// <inheritdoc/>
    public void WaitAll()
    {
        // In slot order, only the slots started since the last WaitAll (the plain adapter's
        // null check): waiting on and clearing the empty ones too cost Mitten's side a few ns per
        // WaitAll that the plain side did not pay.
        for (int bits = started.Bits; bits != 0; bits &= bits - 1)
        {
            int i = System.Numerics.BitOperations.TrailingZeroCount(bits);
            pending[i].Wait();
            pending[i] = default;
        }
        started.Bits = 0;
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
