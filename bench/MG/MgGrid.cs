namespace Mitten.Bench.MG;

/// <summary>
/// The decomposition of one MG problem over a power-of-two number of processes: the 3-D
/// process grid (factors of two split over the dimensions, x first; rank = x + Px (y + Py z)),
/// this process's neighbours (periodic), and per level the box this process holds.
/// </summary>
/// <remarks>
/// Levels <see cref="BottomLevel"/>..<see cref="TopLevel"/> are distributed: at level k every
/// process holds 2^k / P_d points in dimension d (at least one) plus one ghost layer on each
/// side, stored x fastest in one flat array per quantity (<see cref="Offset"/>). The levels
/// below are too small to give every process a point; the V-cycle gathers the residual of
/// <see cref="BottomLevel"/> on every process and runs levels 1..<see cref="BottomLevel"/> on the
/// whole (tiny) grid redundantly, in arrays laid out the same way (<see cref="FullOffset"/>),
/// then takes its own part back. Same arithmetic, every process count.
/// </remarks>
public sealed class MgGrid
{
    private readonly int[] offsets;
    private readonly int[] fullOffsets;

    /// <summary>The decomposition of <paramref name="problem"/> for process <paramref name="rank"/> of <paramref name="processes"/>.</summary>
    /// <exception cref="ArgumentException">The process count is not a power of two, or too large for the grid.</exception>
    public MgGrid(MgClass problem, int rank, int processes)
    {
        TopLevel = problem.Log2Size;
        ProcessDims = ProcessGrid(processes);
        int largest = Math.Max(ProcessDims[0], Math.Max(ProcessDims[1], ProcessDims[2]));
        BottomLevel = Math.Max(1, System.Numerics.BitOperations.Log2((uint)largest));
        if (BottomLevel >= TopLevel)
        {
            throw new ArgumentException($"class {problem.Name} ({problem.Size}^3) is too small for {processes} processes");
        }
        Rank = rank;
        Processes = processes;
        Coords = [rank % ProcessDims[0], rank / ProcessDims[0] % ProcessDims[1], rank / (ProcessDims[0] * ProcessDims[1])];
        Lower = new int[3];
        Upper = new int[3];
        for (int d = 0; d < 3; d++)
        {
            Lower[d] = RankAt(d, (Coords[d] + ProcessDims[d] - 1) % ProcessDims[d]);
            Upper[d] = RankAt(d, (Coords[d] + 1) % ProcessDims[d]);
        }
        offsets = new int[TopLevel + 2];
        for (int k = BottomLevel; k <= TopLevel; k++)
        {
            offsets[k + 1] = offsets[k] + checked((Local(k, 0) + 2) * (Local(k, 1) + 2) * (Local(k, 2) + 2));
        }
        fullOffsets = new int[BottomLevel + 2];
        for (int k = 1; k <= BottomLevel; k++)
        {
            int s = (1 << k) + 2;
            fullOffsets[k + 1] = fullOffsets[k] + s * s * s;
        }
    }

    /// <summary>
    /// Processes per dimension (x, y, z) for <paramref name="processes"/> processes: the factors
    /// of two split over the dimensions, x first (as the original's setup).
    /// </summary>
    /// <exception cref="ArgumentException">The process count is not a power of two.</exception>
    public static int[] ProcessGrid(int processes)
    {
        if (processes < 1 || (processes & (processes - 1)) != 0)
        {
            throw new ArgumentException($"MG needs a power-of-two number of processes, not {processes}");
        }
        int log2 = System.Numerics.BitOperations.Log2((uint)processes);
        return [1 << ((log2 + 2) / 3), 1 << ((log2 + 1) / 3), 1 << (log2 / 3)];
    }

    /// <summary>
    /// The process grid as the extents of an MPI Cartesian topology, (z, y, x): MPI numbers the
    /// ranks of a grid row-major (last dimension fastest), so this order gives every process the
    /// rank x + Px (y + Py z) of <see cref="RankOf"/>; axis a of the grid is dimension 2 - a.
    /// </summary>
    public static int[] CartesianDimensions(int processes)
    {
        int[] p = ProcessGrid(processes);
        return [p[2], p[1], p[0]];
    }

    /// <summary>The dimension of the Cartesian topology (<see cref="CartesianDimensions"/>) that holds grid axis <paramref name="axis"/> (0 = x).</summary>
    public static int CartesianDimension(int axis) => 2 - axis;

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>The number of processes.</summary>
    public int Processes { get; }

    /// <summary>Processes per dimension (x, y, z).</summary>
    public int[] ProcessDims { get; }

    /// <summary>This process's coordinates in the process grid.</summary>
    public int[] Coords { get; }

    /// <summary>
    /// The neighbour below in each dimension (periodic; may be this process), computed from the
    /// decomposition; the halo exchange takes its neighbours from the communicator's Cartesian
    /// topology, and the kernel checks that both agree.
    /// </summary>
    public int[] Lower { get; }

    /// <summary>The neighbour above in each dimension (periodic; may be this process).</summary>
    public int[] Upper { get; }

    /// <summary>The finest level (lt = log2 n).</summary>
    public int TopLevel { get; }

    /// <summary>The coarsest distributed level; it and the levels below run on the whole grid on every process.</summary>
    public int BottomLevel { get; }

    /// <summary>Interior points of this process's box at distributed level <paramref name="k"/> in dimension <paramref name="d"/>.</summary>
    public int Local(int k, int d) => (1 << k) / ProcessDims[d];

    /// <summary>Global index of the first interior point of this process's box at level <paramref name="k"/> in dimension <paramref name="d"/>.</summary>
    public int Start(int k, int d) => Coords[d] * Local(k, d);

    /// <summary>Where distributed level <paramref name="k"/> starts in a per-process flat array.</summary>
    public int Offset(int k) => offsets[k];

    /// <summary>Length of a per-process flat array holding all distributed levels.</summary>
    public int AllLevelsLength => offsets[TopLevel + 1];

    /// <summary>Length of the finest level's box (with ghosts).</summary>
    public int TopLevelLength => offsets[TopLevel + 1] - offsets[TopLevel];

    /// <summary>Where level <paramref name="k"/> (1..<see cref="BottomLevel"/>) starts in a whole-grid flat array.</summary>
    public int FullOffset(int k) => fullOffsets[k];

    /// <summary>Length of a whole-grid flat array holding levels 1..<see cref="BottomLevel"/>.</summary>
    public int FullLength => fullOffsets[BottomLevel + 1];

    /// <summary>Interior points per process at <see cref="BottomLevel"/> (the gather's block).</summary>
    public int BottomBlock => Local(BottomLevel, 0) * Local(BottomLevel, 1) * Local(BottomLevel, 2);

    /// <summary>The largest face (with ghosts) any exchange sends, in elements.</summary>
    public int LargestFace
    {
        get
        {
            int x = Local(TopLevel, 0) + 2, y = Local(TopLevel, 1) + 2, z = Local(TopLevel, 2) + 2;
            return Math.Max(x * y, Math.Max(y * z, x * z));
        }
    }

    /// <summary>The rank of the process at coordinate <paramref name="c"/> in dimension <paramref name="d"/>, this process's coordinates otherwise.</summary>
    private int RankAt(int d, int c)
    {
        int[] p = [Coords[0], Coords[1], Coords[2]];
        p[d] = c;
        return p[0] + ProcessDims[0] * (p[1] + ProcessDims[1] * p[2]);
    }

    /// <summary>The rank of the process at coordinates (x, y, z).</summary>
    public int RankOf(int x, int y, int z) => x + ProcessDims[0] * (y + ProcessDims[1] * z);
}
