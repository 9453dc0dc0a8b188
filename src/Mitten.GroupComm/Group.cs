using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>An MPI process group. Free it with <see cref="Dispose"/>.</summary>
public sealed unsafe class Group : IDisposable
{
    private nint handle;

    internal Group(nint handle) => this.handle = handle;

    internal nint Handle => handle != 0 ? handle : throw new ObjectDisposedException(nameof(Group), "the group was freed");

    /// <summary>Number of processes in the group.</summary>
    public int Size
    {
        get
        {
            int size;
            MpiException.Check(MpiFunctions.Group_size(Handle, &size), "MPI_Group_size");
            return size;
        }
    }

    /// <summary>This process's rank in the group, or null if it is not a member.</summary>
    public int? Rank
    {
        get
        {
            int rank;
            MpiException.Check(MpiFunctions.Group_rank(Handle, &rank), "MPI_Group_rank");
            return rank == MpiAbi.Current.Undefined ? null : rank;
        }
    }

    /// <summary>A new group of the listed ranks, in that order.</summary>
    public Group Include(ReadOnlySpan<int> ranks)
    {
        nint result;
        fixed (int* r = ranks)
        {
            MpiException.Check(MpiFunctions.Group_incl(Handle, ranks.Length, r, &result), "MPI_Group_incl");
        }
        return new Group(result);
    }

    /// <summary>A new group without the listed ranks.</summary>
    public Group Exclude(ReadOnlySpan<int> ranks)
    {
        nint result;
        fixed (int* r = ranks)
        {
            MpiException.Check(MpiFunctions.Group_excl(Handle, ranks.Length, r, &result), "MPI_Group_excl");
        }
        return new Group(result);
    }

    /// <summary>
    /// Translates ranks of this group into ranks of <paramref name="other"/>; a process not
    /// in <paramref name="other"/> gives -1.
    /// </summary>
    public int[] TranslateRanks(ReadOnlySpan<int> ranks, Group other)
    {
        int[] result = new int[ranks.Length];
        fixed (int* r = ranks)
        fixed (int* o = result)
        {
            MpiException.Check(MpiFunctions.Group_translate_ranks(Handle, ranks.Length, r, other.Handle, o), "MPI_Group_translate_ranks");
        }
        int undefined = MpiAbi.Current.Undefined;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == undefined)
            {
                result[i] = -1;
            }
        }
        return result;
    }

    /// <summary>Frees the group.</summary>
    public void Dispose()
    {
        if (handle == 0 || handle == MpiAbi.Current.GroupEmpty)
        {
            handle = 0;
            return;
        }
        nint h = handle;
        handle = 0;
        MpiException.Check(MpiFunctions.Group_free(&h), "MPI_Group_free");
    }
}
