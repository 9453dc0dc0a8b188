using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>The MG communicator on the plain binding (<see cref="Communicator"/>); no migration.</summary>
public readonly unsafe struct PlainMgCommunicator : IMgCommunicator
{
    private readonly Communicator communicator;

    /// <summary>Wraps <paramref name="communicator"/> (rank and size are read once).</summary>
    public PlainMgCommunicator(Communicator communicator)
    {
        this.communicator = communicator;
        Rank = communicator.Rank;
        Size = communicator.Size;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void Exchange(double[] sendLower, double[] sendUpper, double[] receiveLower, double[] receiveUpper, int count,
        int lower, int upper, int tagUp)
    {
        // Receives first, then sends, then wait for all four: the same pattern as the Mitten
        // variant (no allocation: the buffers are pinned by 'fixed' for the whole exchange).
        fixed (double* sl = sendLower, su = sendUpper, rl = receiveLower, ru = receiveUpper)
        {
            RequestHandle fromLower = RequestHandle.StartReceive(communicator, rl, count, lower, tagUp);
            RequestHandle fromUpper = RequestHandle.StartReceive(communicator, ru, count, upper, tagUp + 1);
            RequestHandle toUpper = RequestHandle.StartSend(communicator, su, count, upper, tagUp);
            RequestHandle toLower = RequestHandle.StartSend(communicator, sl, count, lower, tagUp + 1);
            fromLower.Wait();
            fromUpper.Wait();
            toUpper.Wait();
            toLower.Wait();
        }
    }

    /// <inheritdoc/>
    public void Allgather(ReadOnlySpan<double> send, Span<double> receive) => communicator.Allgather(send, receive);

    /// <inheritdoc/>
    public double AllreduceSum(double value) => communicator.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => communicator.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public void Barrier() => communicator.Barrier();

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();

    /// <inheritdoc/>
    public void MigrationPoint(int iteration)
    {
    }
}
