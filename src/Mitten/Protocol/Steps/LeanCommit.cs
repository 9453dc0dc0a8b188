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

    /// <summary>Before the port name: the lean commit, and the old group's window freed only after the new group is installed (MITTEN_LEAN_COMMIT=2).</summary>
    private const string LeanLateFreePrefix = "lean-late-free:";

    /// <summary>Tag of the MPI_Comm_create_group that makes C' on the old group's communicator (only one such creation runs at a time there).</summary>
    private const int LeanSubgroupTag = 42;

    /// <summary>
    /// What this process, as a replacement, asks for (MITTEN_LEAN_COMMIT): 0 the commit as before
    /// (default), 1 the lean commit, 2 the lean commit with the old window freed late.
    /// </summary>
    internal static int LeanCommitMode { get; } = Environment.GetEnvironmentVariable("MITTEN_LEAN_COMMIT") switch
    {
        "1" => 1,
        "2" => 2,
        _ => 0,
    };

    /// <summary>The port text the replacement sends with RESTORED (<paramref name="port"/> with the prefix of <see cref="LeanCommitMode"/>).</summary>
    internal static string LeanPortText(string port) => LeanCommitMode switch
    {
        1 => LeanCommitPrefix + port,
        2 => LeanLateFreePrefix + port,
        _ => port,
    };

    /// <summary>Whether <paramref name="rebuild"/> (the port text of RESTORED or DECISION) asks for the lean commit; <paramref name="port"/> is the port name itself.</summary>
    internal static bool TryParseLeanPort(string rebuild, out string port) => TryParseLeanPort(rebuild, out port, out _);

    /// <summary>As <see cref="TryParseLeanPort(string, out string)"/>; <paramref name="lateWindowFree"/>: the old window is freed after the new group is installed.</summary>
    internal static bool TryParseLeanPort(string rebuild, out string port, out bool lateWindowFree)
    {
        lateWindowFree = rebuild.StartsWith(LeanLateFreePrefix, StringComparison.Ordinal);
        if (lateWindowFree || rebuild.StartsWith(LeanCommitPrefix, StringComparison.Ordinal))
        {
            port = rebuild[(lateWindowFree ? LeanLateFreePrefix : LeanCommitPrefix).Length..];
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
