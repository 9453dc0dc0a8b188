using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// The connect/accept commit with two rounds less (MITTEN_LEAN_COMMIT=1, read by the replacement;
/// docs/PROTOCOL.md step 5, "Lean commit"): the staying ranks make C' (the group without the
/// moving rank) with MPI_Comm_create_group among themselves instead of MPI_Comm_split over the
/// whole old group (no allgather, and the moving rank takes no part), and the new group's control
/// channel is the merged communicator of the connect, which is kept (its ranks translated: the
/// replacement is last in it) instead of a new MPI_Comm_dup of Cnew. The replacement decides and
/// says so in the port it sends with RESTORED ("lean:" before the port name), which the moving
/// rank forwards in DECISION: every process of the commit reads the same text, so all take the
/// same path.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Before the port name in RESTORED and DECISION: the lean commit is used.</summary>
    private const string LeanCommitPrefix = "lean:";

    /// <summary>Tag of the MPI_Comm_create_group that makes C' on the old group's communicator (only one such creation runs at a time there).</summary>
    private const int LeanSubgroupTag = 42;

    /// <summary>Whether this process, as a replacement, asks for the lean commit (MITTEN_LEAN_COMMIT=1; off by default).</summary>
    internal static bool LeanCommitWanted { get; } = Environment.GetEnvironmentVariable("MITTEN_LEAN_COMMIT") == "1";

    /// <summary>Whether <paramref name="rebuild"/> (the port text of RESTORED or DECISION) asks for the lean commit; <paramref name="port"/> is the port name itself.</summary>
    internal static bool TryParseLeanPort(string rebuild, out string port)
    {
        if (rebuild.StartsWith(LeanCommitPrefix, StringComparison.Ordinal))
        {
            port = rebuild[LeanCommitPrefix.Length..];
            return true;
        }
        port = rebuild;
        return false;
    }

    /// <summary>
    /// C' from <paramref name="group"/> without <paramref name="movedRank"/>, made by the staying
    /// ranks alone (MPI_Comm_create_group): the ranks keep their order, as MPI_Comm_split with the
    /// rank as key gave.
    /// </summary>
    internal static Communicator WithoutMovedRank(Communicator group, int movedRank)
    {
        using Group all = group.Group;
        using Group staying = all.Exclude([movedRank]);
        return group.CreateFromGroup(staying, LeanSubgroupTag);
    }

    /// <summary>
    /// For each rank of the new group, its rank in the merged communicator of the connect (the
    /// staying ranks in their order, the replacement last): the order <see cref="InTheGroupsOrder"/>
    /// creates Cnew with, and the translation of a control channel kept on the merged communicator.
    /// </summary>
    internal static int[] MergedRanksOfNewGroup(int size, int movedRank)
    {
        int[] order = new int[size];
        for (int rank = 0; rank < size; rank++)
        {
            order[rank] = rank < movedRank ? rank : rank == movedRank ? size - 1 : rank - 1;
        }
        return order;
    }
}
