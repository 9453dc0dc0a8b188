using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Bench.IS;

/// <summary>A migration to inject: rank <see cref="Rank"/> moves to <see cref="Host"/> (its own host when null) at timed iteration <see cref="Iteration"/>.</summary>
/// <param name="Rank">The rank that moves.</param>
/// <param name="Iteration">The timed iteration (1..10) at whose migration point the request is made.</param>
/// <param name="Host">Target host, or null for the current one.</param>
public sealed record MigrationPlan(int Rank, int Iteration, string? Host)
{
    /// <summary>Parses <c>RANK@ITERATION[:HOST]</c>.</summary>
    /// <exception cref="ArgumentException">The text is not of that form.</exception>
    public static MigrationPlan Parse(string text)
    {
        int at = text.IndexOf('@');
        if (at <= 0)
        {
            throw new ArgumentException($"--migrate wants RANK@ITERATION[:HOST], not '{text}'");
        }
        string rest = text[(at + 1)..];
        int colon = rest.IndexOf(':');
        string? host = colon >= 0 ? rest[(colon + 1)..] : null;
        string iteration = colon >= 0 ? rest[..colon] : rest;
        if (!int.TryParse(text[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            || !int.TryParse(iteration, NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || host is { Length: 0 })
        {
            throw new ArgumentException($"--migrate wants RANK@ITERATION[:HOST], not '{text}'");
        }
        return new MigrationPlan(rank, k, host);
    }
}

/// <summary>
/// The IS communicator through the Mitten layer (<see cref="MittenCommunicator"/>): the same
/// collectives, counted as supersteps by the protocol, and a real migration point at the top
/// of every timed iteration. Injected migrations (<see cref="MigrationPlan"/>) are requested
/// by the rank after the one that moves, (RANK + 1) % size, right after its migration point
/// of that iteration; the move happens at the moving rank's next migration point.
/// </summary>
public readonly struct MittenIsCommunicator : IIsCommunicator
{
    private readonly MittenSession<IsState> session;
    private readonly MittenCommunicator communicator;
    private readonly MigrationPlan[] plans;
    private readonly bool[] resumedCallPending; // shared by the struct's copies

    /// <summary>Wraps <paramref name="session"/>'s communicator; <paramref name="plans"/> are the migrations to inject.</summary>
    public MittenIsCommunicator(MittenSession<IsState> session, IReadOnlyList<MigrationPlan> plans)
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
    public void AllreduceSum(ReadOnlySpan<int> send, Span<int> receive) => communicator.Allreduce(send, receive, Op.Sum);

    /// <inheritdoc/>
    public int AllreduceSum(int value) => communicator.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public long AllreduceSum(long value) => communicator.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => communicator.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public void Alltoall(ReadOnlySpan<int> send, Span<int> receive) => communicator.Alltoall(send, receive);

    /// <inheritdoc/>
    public void Alltoallv(ReadOnlySpan<int> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<int> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) =>
        communicator.Alltoallv(send, sendCounts, sendDisplacements, receive, receiveCounts, receiveDisplacements);

    /// <inheritdoc/>
    public void Send(int value, int destination, int tag) => communicator.Send(value, destination, tag);

    /// <inheritdoc/>
    public int Recv(int source, int tag) => communicator.Recv<int>(source, tag);

    /// <inheritdoc/>
    public void Barrier() => communicator.Barrier();

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();

    /// <inheritdoc/>
    public void MigrationPoint(int iteration)
    {
        // The moving rank asks for itself just before the migration point of the planned
        // iteration, so the move starts there (it completes at the group's global superstep,
        // this iteration or the next). On a replacement, the first call is the one its
        // predecessor stopped in: that request was already made.
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
