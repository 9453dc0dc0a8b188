using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>A migration to inject: rank <see cref="Rank"/> moves to <see cref="Host"/> (its own host when null) at timed iteration <see cref="Iteration"/>.</summary>
/// <param name="Rank">The rank that moves.</param>
/// <param name="Iteration">The timed iteration (1..nit) at whose migration point the request is made.</param>
/// <param name="Host">Target host, or null for the current one.</param>
public sealed record MigrationPlan(int Rank, int Iteration, string? Host)
{
    /// <summary>Parses <c>RANK@ITERATION[:HOST]</c>.</summary>
    /// <exception cref="ArgumentException">The text is not of that form.</exception>
    public static MigrationPlan Parse(string text)
    {
        int at = text.IndexOf('@');
        string rest = at >= 0 ? text[(at + 1)..] : "";
        int colon = rest.IndexOf(':');
        string? host = colon >= 0 ? rest[(colon + 1)..] : null;
        string iteration = colon >= 0 ? rest[..colon] : rest;
        if (at <= 0
            || !int.TryParse(text[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            || !int.TryParse(iteration, NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || host is { Length: 0 })
        {
            throw new ArgumentException($"--migrate wants RANK@ITERATION[:HOST], not '{text}'");
        }
        return new MigrationPlan(rank, k, host);
    }
}

/// <summary>
/// The MG communicator through the Mitten layer (<see cref="MittenCommunicator"/>): the halo
/// exchange as non-blocking point-to-point messages, the reductions and the gather as
/// collectives counted by the protocol, and a real migration point at the top of every timed
/// iteration. A planned migration is requested by the moving rank itself just before its
/// migration point of that iteration.
/// </summary>
public readonly struct MittenMgCommunicator : IMgCommunicator
{
    private readonly MittenSession<MgState> session;
    private readonly MittenCommunicator communicator;
    private readonly MigrationPlan[] plans;
    private readonly bool[] resumedCallPending; // shared by the struct's copies

    /// <summary>Wraps <paramref name="session"/>'s communicator; <paramref name="plans"/> are the migrations to inject.</summary>
    public MittenMgCommunicator(MittenSession<MgState> session, IReadOnlyList<MigrationPlan> plans)
    {
        this.session = session;
        communicator = session.Communicator;
        this.plans = [.. plans];
        resumedCallPending = [session.IsReplacement];
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
    public void MigrationPoint(int iteration)
    {
        // On a replacement, the first call is the one its predecessor stopped in: that request
        // was already made.
        if (resumedCallPending[0])
        {
            resumedCallPending[0] = false;
            session.MigrationPoint();
            return;
        }
        foreach (MigrationPlan plan in plans)
        {
            if (plan.Iteration == iteration && plan.Rank == Rank)
            {
                session.RequestMigration(plan.Rank, plan.Host);
            }
        }
        session.MigrationPoint();
    }
}
