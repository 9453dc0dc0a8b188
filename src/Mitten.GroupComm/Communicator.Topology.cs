using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>Cartesian process grids (MPI_Cart_create, MPI_Cart_shift, MPI_Cart_coords).</summary>
public sealed unsafe partial class Communicator
{
    /// <summary>
    /// A Cartesian grid over the first product-of-<paramref name="dimensions"/> ranks, in
    /// row-major order (the last dimension varies fastest), without reordering (MPI_Cart_create
    /// with reorder = false; collective): a rank keeps its number. Null on the ranks left out.
    /// </summary>
    /// <exception cref="ArgumentException">One period per dimension is needed.</exception>
    public Communicator? CreateCartesian(ReadOnlySpan<int> dimensions, ReadOnlySpan<bool> periods)
    {
        if (dimensions.Length != periods.Length)
        {
            throw new ArgumentException("one period per dimension", nameof(periods));
        }
        Span<int> wraps = stackalloc int[periods.Length];
        for (int d = 0; d < periods.Length; d++)
        {
            wraps[d] = periods[d] ? 1 : 0;
        }
        nint result;
        fixed (int* dims = dimensions, p = wraps)
        {
            MpiException.Check(MpiFunctions.Cart_create(Handle, dimensions.Length, dims, p, 0, &result), "MPI_Cart_create");
        }
        return result == MpiAbi.Current.CommNull ? null : Adopt(result, $"{name}/cart({string.Join('x', dimensions.ToArray())})");
    }

    /// <summary>
    /// The ranks to receive from and send to for a shift by <paramref name="displacement"/> along
    /// <paramref name="dimension"/> of a Cartesian grid (MPI_Cart_shift); <see cref="Mpi.ProcNull"/>
    /// past the edge of a dimension that does not wrap around.
    /// </summary>
    public (int Source, int Destination) Shift(int dimension, int displacement)
    {
        int source, destination;
        MpiException.Check(MpiFunctions.Cart_shift(Handle, dimension, displacement, &source, &destination), "MPI_Cart_shift");
        return (source, destination);
    }

    /// <summary>The grid coordinates of <paramref name="rank"/> in a Cartesian grid (MPI_Cart_coords).</summary>
    public int[] Coordinates(int rank)
    {
        int count;
        MpiException.Check(MpiFunctions.Cartdim_get(Handle, &count), "MPI_Cartdim_get");
        int[] coordinates = new int[count];
        fixed (int* c = coordinates)
        {
            MpiException.Check(MpiFunctions.Cart_coords(Handle, rank, count, c), "MPI_Cart_coords");
        }
        return coordinates;
    }
}
