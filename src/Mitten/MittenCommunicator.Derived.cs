using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// Derived communicators and Cartesian process grids through Mitten, and the non-blocking
/// collectives. A derived communicator survives migrations: after a rank moves, every member
/// keeps using the same object, with the same rank numbers, and messages in flight on it are
/// delivered exactly once, in order. On a replacement, a creation call made before its first
/// migration point returns the communicator its predecessor made at that call (the program's
/// setup code runs unchanged); one made later in the run can be found by its <see cref="Id"/>
/// (<see cref="FindDerived"/>), e.g. kept in the program's state.
/// </summary>
public sealed partial class MittenCommunicator
{
    /// <summary>0 for the session's communicator; a derived one's id, unique on this rank and kept by its replacement.</summary>
    public int Id => channel.Id;

    /// <summary>Whether <see cref="Free"/> released this communicator.</summary>
    public bool IsFreed => channel.Freed;

    /// <summary>A duplicate (MPI_Comm_dup; collective): same ranks, separate messages (the same tag on both never mixes).</summary>
    public MittenCommunicator Dup() => Derive("dup", 0, Rank)!;

    /// <summary>
    /// Splits this communicator (MPI_Comm_split; collective): ranks with the same
    /// <paramref name="color"/> form one communicator, ordered by <paramref name="key"/> (ties by
    /// rank here); a negative color gives null (MPI_UNDEFINED).
    /// </summary>
    public MittenCommunicator? Split(int color, int key) => Derive("split", color < 0 ? -1 : color, key);

    /// <summary>
    /// A communicator of the listed ranks of this one, in that order (MPI_Group_incl and
    /// MPI_Comm_create; collective over this communicator, every rank passing the same list);
    /// null on ranks not listed.
    /// </summary>
    public MittenCommunicator? Create(ReadOnlySpan<int> ranks)
    {
        var seen = new HashSet<int>();
        int mine = -1;
        for (int i = 0; i < ranks.Length; i++)
        {
            if (ranks[i] < 0 || ranks[i] >= Size || !seen.Add(ranks[i]))
            {
                throw new ArgumentException($"rank {ranks[i]} is not a rank of the communicator (0..{Size - 1}) or is listed twice", nameof(ranks));
            }
            if (ranks[i] == Rank)
            {
                mine = i;
            }
        }
        return Derive($"create({string.Join(',', ranks.ToArray())})", mine < 0 ? -1 : 0, Math.Max(mine, 0));
    }

    /// <summary>
    /// A Cartesian grid over the first product-of-<paramref name="dimensions"/> ranks, in
    /// row-major order (MPI_Cart_create without reordering; collective); null on the other ranks.
    /// </summary>
    public MittenCommunicator? CreateCartesian(ReadOnlySpan<int> dimensions, ReadOnlySpan<bool> periods)
    {
        if (dimensions.Length != periods.Length)
        {
            throw new ArgumentException("one period per dimension", nameof(periods));
        }
        long cells = 1;
        foreach (int extent in dimensions)
        {
            if (extent <= 0)
            {
                throw new ArgumentException("every dimension must be positive", nameof(dimensions));
            }
            cells *= extent;
        }
        if (cells > Size)
        {
            throw new ArgumentException($"a grid of {cells} ranks does not fit in {Size}", nameof(dimensions));
        }
        return Derive($"cart({string.Join('x', dimensions.ToArray())})", Rank < cells ? 0 : -1, Rank, dimensions.ToArray(), periods.ToArray());
    }

    /// <summary>Balanced grid extents for <paramref name="ranks"/> ranks in <paramref name="dimensionCount"/> dimensions, largest first (MPI_Dims_create with no fixed extents).</summary>
    public static int[] DimensionsFor(int ranks, int dimensionCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensionCount, 1);
        int[] dims = Enumerable.Repeat(1, dimensionCount).ToArray();
        var factors = new List<int>();
        int n = ranks;
        for (int f = 2; f * f <= n; f++)
        {
            while (n % f == 0)
            {
                factors.Add(f);
                n /= f;
            }
        }
        if (n > 1)
        {
            factors.Add(n);
        }
        foreach (int factor in factors.OrderByDescending(f => f))
        {
            int smallest = Array.IndexOf(dims, dims.Min());
            dims[smallest] *= factor;
        }
        return [.. dims.OrderByDescending(d => d)];
    }

    /// <summary>Whether this is a Cartesian grid (<see cref="CreateCartesian"/>, <see cref="SubGrid"/>).</summary>
    public bool IsCartesian => channel.Dimensions is not null;

    /// <summary>The grid's extent per dimension (MPI_Cart_get).</summary>
    public IReadOnlyList<int> Dimensions => Grid().Dimensions!;

    /// <summary>Whether each dimension wraps around.</summary>
    public IReadOnlyList<bool> Periods => Grid().Periods!;

    /// <summary>The grid coordinates of <paramref name="rank"/> (MPI_Cart_coords).</summary>
    public int[] Coordinates(int rank)
    {
        int[] dims = Grid().Dimensions!;
        if (rank < 0 || rank >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in the grid (0..{Size - 1})");
        }
        int[] coordinates = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            coordinates[d] = rank % dims[d];
            rank /= dims[d];
        }
        return coordinates;
    }

    /// <summary>
    /// The rank at <paramref name="coordinates"/> (MPI_Cart_rank): periodic dimensions wrap
    /// around; outside a non-periodic one gives <see cref="ProcNull"/>.
    /// </summary>
    public int CartesianRank(ReadOnlySpan<int> coordinates)
    {
        Channel grid = Grid();
        int[] dims = grid.Dimensions!;
        if (coordinates.Length != dims.Length)
        {
            throw new ArgumentException($"the grid has {dims.Length} dimensions", nameof(coordinates));
        }
        int rank = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            int c = coordinates[d];
            if (c < 0 || c >= dims[d])
            {
                if (!grid.Periods![d])
                {
                    return ProcNull;
                }
                c = ((c % dims[d]) + dims[d]) % dims[d];
            }
            rank = rank * dims[d] + c;
        }
        return rank;
    }

    /// <summary>
    /// The ranks to receive from and send to for a shift by <paramref name="displacement"/> along
    /// <paramref name="dimension"/> (MPI_Cart_shift); <see cref="ProcNull"/> past a non-periodic edge.
    /// </summary>
    public (int Source, int Destination) Shift(int dimension, int displacement)
    {
        int[] here = Coordinates(Rank);
        if (dimension < 0 || dimension >= here.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension));
        }
        int[] there = (int[])here.Clone();
        there[dimension] = here[dimension] + displacement;
        int destination = CartesianRank(there);
        there[dimension] = here[dimension] - displacement;
        return (CartesianRank(there), destination);
    }

    /// <summary>
    /// The sub-grid of the dimensions where <paramref name="keep"/> is true that contains this
    /// rank (MPI_Cart_sub; collective over the grid), itself a Cartesian grid: e.g. the rows of a 2-D grid with keep = [false, true].
    /// </summary>
    public MittenCommunicator SubGrid(ReadOnlySpan<bool> keep)
    {
        Channel grid = Grid();
        int[] dims = grid.Dimensions!;
        if (keep.Length != dims.Length)
        {
            throw new ArgumentException($"the grid has {dims.Length} dimensions", nameof(keep));
        }
        int[] here = Coordinates(Rank);
        int color = 0, key = 0;
        var keptDims = new List<int>();
        var keptPeriods = new List<bool>();
        for (int d = 0; d < dims.Length; d++)
        {
            if (keep[d])
            {
                key = key * dims[d] + here[d];
                keptDims.Add(dims[d]);
                keptPeriods.Add(grid.Periods![d]);
            }
            else
            {
                color = color * dims[d] + here[d];
            }
        }
        return Derive($"sub({string.Join(',', keep.ToArray())})", color, key, [.. keptDims], [.. keptPeriods])!;
    }

    /// <summary>
    /// Frees this derived communicator (MPI_Comm_free; collective over its members). Its
    /// non-blocking operations must be complete. Communicators derived from it stay usable.
    /// </summary>
    public void Free()
    {
        if (protocol.AwaitingFirstMigrationPoint)
        {
            ThrowNotReady();
        }
        protocol.FreeDerived(channel);
    }

    /// <summary>
    /// The live derived communicator with <paramref name="id"/> on this rank (see <see cref="Id"/>),
    /// or null: how a program finds, after a migration, a communicator it made after its first
    /// migration point (keep the id in the state).
    /// </summary>
    public MittenCommunicator? FindDerived(int id) => protocol.DerivedById(id) is { } found ? For(protocol, found) : null;

    /// <summary>Starts a barrier (MPI_Ibarrier). Complete it before the next migration point (see <see cref="MittenCollectiveRequest"/>).</summary>
    public MittenCollectiveRequest Ibarrier()
    {
        Ready();
        return protocol.StartCollective(channel, Group.Ibarrier(), "Ibarrier");
    }

    /// <summary>Starts a broadcast from <paramref name="root"/> (MPI_Ibcast). Complete it before the next migration point.</summary>
    public MittenCollectiveRequest Ibcast<T>(Memory<T> buffer, int root) where T : unmanaged
    {
        Ready();
        return protocol.StartCollective(channel, Group.Ibcast(buffer, root), "Ibcast");
    }

    /// <summary>
    /// Starts an allreduce (MPI_Iallreduce): <paramref name="send"/> is copied into
    /// <paramref name="receive"/> at once and reduced there in place. Complete it before the next migration point.
    /// </summary>
    public MittenCollectiveRequest Iallreduce<T>(ReadOnlySpan<T> send, Memory<T> receive, Op op) where T : unmanaged
    {
        Ready();
        if (receive.Length != send.Length)
        {
            throw new ArgumentException("the receive buffer must be as long as the send buffer", nameof(receive));
        }
        send.CopyTo(receive.Span);
        return protocol.StartCollective(channel, Group.IallreduceInPlace(receive, op), "Iallreduce");
    }

    private MittenCommunicator? Derive(string kind, int color, int key, int[]? dimensions = null, bool[]? periods = null)
    {
        if (!protocol.AwaitingFirstMigrationPoint)
        {
            Ready();
        }
        else if (channel.Freed)
        {
            ThrowNotReady();
        }
        Channel? made = protocol.CreateDerived(channel, kind, color, key, dimensions, periods);
        return made is null ? null : For(protocol, made);
    }

    private static MittenCommunicator For(GroupProtocol protocol, Channel channel) =>
        channel.Facade ?? new MittenCommunicator(protocol, channel);

    private Channel Grid()
    {
        if (channel.Dimensions is null)
        {
            throw new InvalidOperationException($"communicator {Id} is not a Cartesian grid (CreateCartesian)");
        }
        return channel;
    }
}
