using Mitten.Bench.Common;
using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>
/// The MG communicator through the Mitten layer (<see cref="MittenCommunicator"/>): the halo
/// exchange as non-blocking point-to-point messages, the reductions and the gather as
/// collectives counted by the protocol, and a real migration point at the top of every timed
/// iteration. A planned migration is requested by the moving rank itself just before its
/// migration point of that iteration.
/// </summary>
public readonly struct MittenMgCommunicator : IMgCommunicator
{
    private readonly MittenCommunicator communicator;
    private readonly PlannedMigrations<MgState> migrations; // a class: shared by the struct's copies

    /// <summary>Wraps <paramref name="session"/>'s communicator; <paramref name="plans"/> are the migrations to inject.</summary>
    public MittenMgCommunicator(MittenSession<MgState> session, IReadOnlyList<MigrationPlan> plans)
    {
        communicator = session.Communicator;
        migrations = new PlannedMigrations<MgState>(session, plans);
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
        MittenRequest fromLower = communicator.Irecv(new Memory<double>(receiveLower, 0, count), lower, tagUp);
        MittenRequest fromUpper = communicator.Irecv(new Memory<double>(receiveUpper, 0, count), upper, tagUp + 1);
        MittenRequest toUpper = communicator.Isend(new ReadOnlyMemory<double>(sendUpper, 0, count), upper, tagUp);
        MittenRequest toLower = communicator.Isend(new ReadOnlyMemory<double>(sendLower, 0, count), lower, tagUp + 1);
        fromLower.Wait();
        fromUpper.Wait();
        toUpper.Wait();
        toLower.Wait();
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
    public void MigrationPoint(int iteration) => migrations.MigrationPoint(iteration);
}
