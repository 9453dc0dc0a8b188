using System.Globalization;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// Spare pools (docs/PROTOCOL.md, "Spare pools"): at start, off the critical path, the group
/// and the spares of each start-up spawn merge the spawn's intercommunicator once into one
/// intracommunicator, the pool. A migration that takes a spare of a pool holding every member
/// of the group then needs no MPI_Comm_connect/accept: the moving rank and the spare make their
/// intercommunicator with MPI_Intercomm_create over the pool (only those two take part), and the
/// new group is made with MPI_Comm_create_group over the pool (collective only over the new
/// group's members: the staying ranks and the spare, in the moving rank's place). Processes of
/// the pool outside the new group (the moving rank, idle spares, processes that left) take no part.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>The pools this process is a member of, by id (the index of the start-up spawn).</summary>
    private readonly Dictionary<int, Communicator> sparePools = [];

    /// <summary>The prefix of DECISION(commit)'s first line when the new group is made from a pool.</summary>
    private const string PoolDecisionPrefix = "pool:";

    /// <summary>The pool a spare joined at start, kept for when it becomes a replacement (set by <see cref="SpareJoinsPool"/>).</summary>
    private static (int Id, Communicator Pool)? poolOfThisSpare;

    /// <summary>Whether this spare's intercommunicator to the moving rank that took it was made over its pool (freed after COMMIT, not disconnected).</summary>
    private static bool parentMadeOverPool;

    /// <summary>MITTEN_SPARE_POOLS=0 turns pools off (spares are then taken with connect/accept, as without them).</summary>
    internal static bool PoolsEnabled => Environment.GetEnvironmentVariable("MITTEN_SPARE_POOLS") != "0";

    /// <summary>
    /// The group's side at start, after rank 0 has welcomed the spares of spawn
    /// <paramref name="poolId"/> (<paramref name="readyLines"/>, rank 0 only; an empty line is a
    /// spare that did not report ready). Rank 0 decides: a pool only when every spare of the
    /// spawn is ready (a merge with a process that does not take part would not return), tells
    /// each ready spare (SPARE_POOL) and the group (a broadcast); then all merge, group low.
    /// Collective over the group. Returns the pool id, or -1 without a pool.
    /// </summary>
    private int JoinSparePool(Communicator spawned, int poolId, IReadOnlyList<string> readyLines, string host)
    {
        int verdict = -1;
        if (Rank == 0)
        {
            verdict = PoolsEnabled && readyLines.Count > 0 && readyLines.All(l => l.Length > 0) ? poolId : -1;
            Span<long> word = [verdict];
            for (int s = 0; s < readyLines.Count; s++)
            {
                if (readyLines[s].Length > 0)
                {
                    spawned.Send<long>(word, s, ControlTag.SparePool);
                }
            }
        }
        verdict = app.Bcast(verdict, 0);
        if (verdict < 0)
        {
            return -1;
        }
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(-1, $"merging with the spares on '{host}' did not return within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
        {
            Communicator pool = spawned.Merge(high: false);
            sparePools[verdict] = pool;
            ConnectAcrossPool(pool, Size, groupSide: true);
        }
        return verdict;
    }

    /// <summary>
    /// One empty exchange between every group rank and every spare of a new pool, so that the
    /// transport's connections (made at a pair's first message) exist before a migration needs
    /// them: the take (the moving rank and a spare) and the new group's creation (the spare and
    /// every staying rank). Group ranks are 0 .. <paramref name="groupSize"/>-1 of the pool, spares
    /// the rest; each side goes through the other side's ranks in order, so the exchanges complete.
    /// </summary>
    private static void ConnectAcrossPool(Communicator pool, int groupSize, bool groupSide)
    {
        Span<byte> none = [];
        int first = groupSide ? groupSize : 0, end = groupSide ? pool.Size : groupSize;
        for (int peer = first; peer < end; peer++)
        {
            pool.Sendrecv<byte, byte>(none, peer, ControlTag.PoolTake, none, peer, ControlTag.PoolTake);
        }
    }

    /// <summary>
    /// The spare's side at start, after SPARE_READY: rank 0's SPARE_POOL verdict, then the merge
    /// (spares high, so spare s has rank group size + s in the pool). No verdict within the
    /// restore limit plus a step: rank 0 gave up on this spare, which leaves.
    /// </summary>
    private static void SpareJoinsPool(Communicator spawnedBy)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Restore + ProtocolTimeouts.Step, "the group's SPARE_POOL");
        while (!spawnedBy.Iprobe(0, ControlTag.SparePool, out _))
        {
            if (deadline.Expired)
            {
                LeaveAsSpare(deadline.Describe() + " did not come");
            }
            Thread.Sleep(1);
        }
        Span<long> word = [0];
        spawnedBy.Recv<long>(word, 0, ControlTag.SparePool);
        if (word[0] < 0)
        {
            return;
        }
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => LeaveAsSpare("merging with the group did not return")))
        {
            Communicator pool = spawnedBy.Merge(high: true);
            ConnectAcrossPool(pool, spawnedBy.RemoteSize, groupSide: false);
            poolOfThisSpare = ((int)word[0], pool);
        }
        SparePreparesGroups(poolOfThisSpare.Value.Pool, spawnedBy.RemoteSize); // Steps/PreparedGroups.cs
    }

    /// <summary>The pool <paramref name="spare"/> is in when this process is in it too; otherwise null.</summary>
    private Communicator? SharedPool(SpareInfo spare) =>
        spare.Pool >= 0 && sparePools.TryGetValue(spare.Pool, out Communicator? pool) ? pool : null;

    /// <summary>
    /// The new group's members as ranks of the pool of <paramref name="spare"/>, in group-rank
    /// order with the spare in this rank's place; null when a member of the group is not in that
    /// pool (a replacement that was spawned, or a spare of another spawn): the group then
    /// connects to the spare's port as for a spawned replacement. Local (group rank translation).
    /// </summary>
    private List<int>? PoolMembersReplacingMe(SpareInfo spare)
    {
        if (SharedPool(spare) is not { } pool)
        {
            return null;
        }
        using Group mine = app.Group;
        using Group all = pool.Group;
        int[] members = mine.TranslateRanks(Enumerable.Range(0, Size).ToArray(), all);
        if (members.Any(m => m < 0))
        {
            return null;
        }
        members[Rank] = spare.PoolRank;
        return members.ToList();
    }

    /// <summary>DECISION(commit)'s first line for a pool rebuild: "pool:ID:m0,m1,...".</summary>
    private static string PoolDecision(int poolId, IReadOnlyList<int> members) =>
        string.Create(CultureInfo.InvariantCulture, $"{PoolDecisionPrefix}{poolId}:{string.Join(',', members)}");

    private static bool TryParsePoolDecision(string line, out int poolId, out int[] members)
    {
        poolId = -1;
        members = [];
        if (!line.StartsWith(PoolDecisionPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        string[] parts = line[PoolDecisionPrefix.Length..].Split(':');
        poolId = int.Parse(parts[0], CultureInfo.InvariantCulture);
        members = parts[1].Split(',').Select(m => int.Parse(m, CultureInfo.InvariantCulture)).ToArray();
        return true;
    }

    /// <summary>
    /// The new group from <paramref name="pool"/>: MPI_Comm_create_group of
    /// <paramref name="members"/> (pool ranks in group-rank order, so every member keeps its
    /// rank and the replacement gets j). Collective over those members only; the caller arms the limit.
    /// </summary>
    private static Communicator GroupFromPool(Communicator pool, IReadOnlyList<int> members)
    {
        using Group all = pool.Group;
        using Group chosen = all.Include(members.ToArray());
        return pool.CreateFromGroup(chosen, ControlTag.PoolRebuild);
    }
}
