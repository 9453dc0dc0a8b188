using System.Diagnostics;
using System.Globalization;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;
using PreparedGroupKey = (int Pool, int Spare, int Rank);
using PreparedTakeKey = (int Pool, int Spare);

namespace Mitten.Protocol;

/// <summary>
/// Prepared groups (docs/PROTOCOL.md, "Prepared groups"): at start, right after a spare pool is
/// made, and before the application's work, the pool's members make, for each spare s of the
/// pool and each original rank j (up to <see cref="PreparedGroupLimit"/> pairs per pool), the
/// group the job would have if s replaced j: MPI_Comm_create_group over the pool (the original
/// ranks with s in j's place, so s gets rank j), its control channel (MPI_Comm_dup) and its
/// superstep window (MPI_Win_create, lock_all held), and the intercommunicator between j and s
/// for the take (MPI_Intercomm_create, the two alone). A migration of j to s while the group is
/// still the original one then commits without any collective call: every member switches to
/// the prepared communicators (a local step). Nothing prepared is ever freed (a window's free is
/// collective, and the moving rank leaves); after any commit nothing prepared fits any more, and
/// later migrations use the pool's MPI_Comm_create_group or connect/accept as before.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>One prepared group: the communicator with spare s in rank j's place, its control channel and its window.</summary>
    private sealed record PreparedGroup(Communicator Group, Communicator Control, SuperstepWindow Window);

    /// <summary>This original rank's prepared groups, by (pool, the spare's pool rank, the rank it replaces); emptied at the first commit.</summary>
    private readonly Dictionary<PreparedGroupKey, PreparedGroup> preparedGroups = [];

    /// <summary>Every (pool, spare, rank) prepared, also those without this process (the moving rank is not in its own): what a moving rank may announce.</summary>
    private readonly HashSet<PreparedGroupKey> preparedPairs = [];

    /// <summary>What was prepared and is no longer usable, kept (never freed: freeing a window is collective with processes that have left or idle spares).</summary>
    private static readonly List<object> RetiredPrepared = [];

    /// <summary>A spare's prepared groups, by the rank it would replace (set by <see cref="SpareJoinsPool"/>).</summary>
    private static Dictionary<int, PreparedGroup> preparedOfThisSpare = [];

    /// <summary>This original rank's intercommunicators to the spares it may take, by (pool, spare's pool rank); each used at most once, kept across commits (both processes stay in the pool).</summary>
    private readonly Dictionary<PreparedTakeKey, Communicator> preparedTakes = [];

    /// <summary>A spare's intercommunicators to the original ranks that may take it, by the taker's pool rank.</summary>
    private static Dictionary<int, Communicator> preparedTakesOfThisSpare = [];

    /// <summary>The prefix of DECISION(commit)'s first line for a prepared group: "prepared:POOL:SPARE".</summary>
    private const string PreparedDecisionPrefix = "prepared:";

    /// <summary>
    /// MITTEN_PREPARED_GROUPS: how many (spare, rank) pairs to prepare per pool, spares in pool
    /// order, ranks in order (default 64; 0 turns prepared groups off). Each pair costs every one
    /// of its members three collective calls at start and keeps two communicators and a window.
    /// </summary>
    internal static int PreparedGroupLimit =>
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_PREPARED_GROUPS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? Math.Min(n, 4096) : 64;

    /// <summary>
    /// Makes the prepared groups of <paramref name="pool"/> (its first <paramref name="groupSize"/>
    /// ranks are the original group, the rest its spares). Every member of the pool calls it with
    /// the same arguments and goes through the pairs in the same order, taking part in the pairs
    /// it is a member of, so each collective call finds all its members. Returns this process's
    /// groups by (spare's pool rank, rank) and, in <paramref name="pairs"/>, every pair prepared.
    /// The caller arms the limit.
    /// </summary>
    private static Dictionary<(int Spare, int Rank), PreparedGroup> PrepareGroups(Communicator pool, int groupSize, List<(int Spare, int Rank)> pairs,
        Dictionary<int, Communicator> takes)
    {
        var mine = new Dictionary<(int, int), PreparedGroup>();
        int limit = PoolsEnabled ? PreparedGroupLimit : 0;
        int me = pool.Rank, count = 0;
        long start = Stopwatch.GetTimestamp();
        using Group all = pool.Group;
        int[] members = new int[groupSize];
        for (int s = groupSize; s < pool.Size && count < limit; s++)
        {
            for (int j = 0; j < groupSize && count < limit; j++, count++)
            {
                pairs.Add((s, j));
                if (me == j || (me >= groupSize && me != s))
                {
                    if (me == j)
                    {
                        // The take's intercommunicator between j and s (only these two), after
                        // the group's calls in every process's order: the moving rank's side.
                        takes[s] = Mpi.Self.CreateIntercommunicator(0, pool, s, ControlTag.PreparedTakeBase + count);
                    }
                    continue; // not a member of this group: the moving rank, or another spare
                }
                for (int i = 0; i < groupSize; i++)
                {
                    members[i] = i == j ? s : i;
                }
                using Group chosen = all.Include(members);
                Communicator group = pool.CreateFromGroup(chosen, ControlTag.PreparedGroupBase + count);
                Communicator control = group.Dup();
                // Every entry starts at 0 and is set by its owner before the group can be used (SetOwnSuperstep).
                var window = new SuperstepWindow(group, 0, sharedMemory: false);
                mine[(s, j)] = new PreparedGroup(group, control, window);
                if (me == s)
                {
                    takes[j] = Mpi.Self.CreateIntercommunicator(0, pool, j, ControlTag.PreparedTakeBase + count);
                }
            }
        }
        if (ProtocolTrace.Enabled && count > 0)
        {
            ProtocolTrace.Write(me < groupSize ? me : -1, string.Create(CultureInfo.InvariantCulture,
                $"prepared {count} groups ({mine.Count} with this process) in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F1} ms"));
        }
        return mine;
    }

    /// <summary>The group's side, right after spare pool <paramref name="poolId"/> was made (collective over the pool).</summary>
    private void PrepareGroupsOfPool(int poolId, string host)
    {
        var pairs = new List<(int Spare, int Rank)>();
        Dictionary<(int Spare, int Rank), PreparedGroup> mine;
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(-1, $"preparing the groups with the spares on '{host}' did not return within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
        {
            var takes = new Dictionary<int, Communicator>();
            mine = PrepareGroups(sparePools[poolId], Size, pairs, takes);
            foreach ((int spare, Communicator inter) in takes)
            {
                preparedTakes[(poolId, spare)] = inter;
            }
        }
        foreach (((int spare, int rank), PreparedGroup prepared) in mine)
        {
            preparedGroups[(poolId, spare, rank)] = prepared;
        }
        foreach ((int spare, int rank) in pairs)
        {
            preparedPairs.Add((poolId, spare, rank));
        }
    }

    /// <summary>The spare's side, right after it merged into its pool (collective over the pool); leaves when the group does not take part in time.</summary>
    private static void SparePreparesGroups(Communicator pool, int groupSize)
    {
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => LeaveAsSpare("preparing the groups with the job's ranks did not return")))
        {
            var mine = PrepareGroups(pool, groupSize, [], preparedTakesOfThisSpare);
            preparedOfThisSpare = mine.ToDictionary(e => e.Key.Rank, e => e.Value);
        }
    }

    /// <summary>Whether the moving rank can commit to <paramref name="spare"/> through a prepared group: the group is still the original one (nothing was committed) and the pair was prepared.</summary>
    private bool HasPreparedGroup(SpareInfo spare) =>
        spare.Pool >= 0 && preparedPairs.Contains((spare.Pool, spare.PoolRank, Rank));

    /// <summary>
    /// A staying rank, at the start of a migration's drain (before its drain markers, so before
    /// the moving rank can decide): stores the superstep it will continue with in its entry of
    /// every prepared window replacing <paramref name="movingRank"/>. Local stores into windows
    /// nobody uses yet; after a rollback they stay unused and are stored again at the next migration.
    /// </summary>
    private void StagePreparedSupersteps(int movingRank, long publishSuperstep)
    {
        if (preparedGroups.Count == 0)
        {
            return;
        }
        foreach (((int _, int _, int rank), PreparedGroup prepared) in preparedGroups)
        {
            if (rank == movingRank)
            {
                prepared.Window.SetOwnSuperstep(publishSuperstep);
            }
        }
    }

    /// <summary>DECISION(commit)'s first line for a prepared group.</summary>
    private static string PreparedDecision(int poolId, int sparePoolRank) =>
        string.Create(CultureInfo.InvariantCulture, $"{PreparedDecisionPrefix}{poolId}:{sparePoolRank}");

    private static bool TryParsePreparedDecision(string line, out int poolId, out int sparePoolRank)
    {
        poolId = sparePoolRank = -1;
        if (!line.StartsWith(PreparedDecisionPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        string[] parts = line[PreparedDecisionPrefix.Length..].Split(':');
        poolId = int.Parse(parts[0], CultureInfo.InvariantCulture);
        sparePoolRank = int.Parse(parts[1], CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>
    /// A staying rank after DECISION(commit) naming a prepared group: switches to it, with no
    /// MPI call (derived communicators aside, rebuilt as after any commit). The old window and
    /// communicators are kept, not freed (the window's free would be collective with the moving rank).
    /// </summary>
    private void InstallPreparedGroup(SynchronizationSession session, int poolId, int sparePoolRank)
    {
        if (!preparedGroups.TryGetValue((poolId, sparePoolRank, session.Leader), out PreparedGroup? prepared))
        {
            EndJob(Rank, $"the new group is the prepared group of spare {sparePoolRank} of pool {poolId} for rank {session.Leader}, which this process does not have");
        }
        long start = Stopwatch.GetTimestamp();
        // The old window, application and control communicators are kept, not freed: the
        // window's free is collective with the moving rank, and even the local frees of the
        // communicators are left out of the freeze (a few per migration, held until the end).
        RetiredPrepared.Add(window);
        RetiredPrepared.Add(control);
        RetiredPrepared.Add(app);
        app = prepared.Group;
        control = new ControlChannel(prepared.Control);
        window = prepared.Window;
        preparedGroups.Remove((poolId, sparePoolRank, session.Leader));
        RetirePreparedGroups();
        long switched = Stopwatch.GetTimestamp();
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => EndJob(-1, "rebuilding the derived communicators in the prepared group did not finish in time")))
        {
            RebuildDerivedCommunicators(); // collective with the replacement's RestoreDerivedCommunicators (none: no call)
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(app.Rank, string.Create(CultureInfo.InvariantCulture,
                $"new group installed: prepared group (spare {sparePoolRank} of pool {poolId}) in {Stopwatch.GetElapsedTime(start, switched).TotalMilliseconds:F2} ms, derived communicators {Stopwatch.GetElapsedTime(switched).TotalMilliseconds:F1} ms"));
        }
        ResumeInInstalledGroup();
    }

    /// <summary>
    /// At start-up (<see cref="ProtocolWarmup.ExerciseMigrationPoint"/>): every operation a
    /// migration performs on the prepared-group collections, once, on throwaway instances of the
    /// same types. Their generic instantiations over value-tuple keys are not in the ReadyToRun
    /// image, so without this they were compiled at Tier0 inside the freeze (about 15 methods on
    /// the moving rank, 30 on a staying rank; bench/RESULTS.md "Session 17").
    /// MITTEN_WARM_COLLECTIONS=0 leaves it out.
    /// </summary>
    internal static void WarmPreparedCollections()
    {
        if (Environment.GetEnvironmentVariable("MITTEN_WARM_COLLECTIONS") == "0")
        {
            return;
        }
        // The same key and value types as the fields (the aliases above), so the same instantiations.
        var groups = new Dictionary<PreparedGroupKey, PreparedGroup> { [(0, 0, 0)] = null! };
        var pairs = new HashSet<PreparedGroupKey> { (0, 0, 0) };
        var takes = new Dictionary<PreparedTakeKey, Communicator> { [(0, 0)] = null! };
        // DerivedCommunicators' SortedDictionary<int, Channel>: any reference value shares its code.
        var derivedChannels = new SortedDictionary<int, object> { [0] = new object() };
        int seen = pairs.Contains((0, 0, 1)) ? 1 : 0;
        seen += groups.Count; // the drain's "nothing prepared" test
        foreach (((int _, int _, int rank), PreparedGroup _) in groups)
        {
            seen += rank;
        }
        seen += groups.TryGetValue((0, 0, 1), out _) ? 1 : 0;
        foreach (PreparedGroup _ in groups.Values)
        {
            seen++;
        }
        groups.Remove((0, 0, 0));
        groups.Clear();
        pairs.Clear();
        takes.Remove((0, 0), out _);
        derivedChannels.Clear();
        GC.KeepAlive(seen);
    }

    /// <summary>After any commit nothing prepared fits the group any more (each has the old process in it): all of it is retired, never used or freed.</summary>
    private void RetirePreparedGroups()
    {
        foreach (PreparedGroup prepared in preparedGroups.Values)
        {
            RetiredPrepared.Add(prepared);
        }
        preparedGroups.Clear();
        preparedPairs.Clear();
    }

    /// <summary>
    /// The replacement (a spare) when the header names a prepared group: stores its superstep in
    /// its entry (before RESTORED, so before anyone can use the window) and returns the group,
    /// the control channel and the window; null when this spare has none for that rank (Pj then
    /// gets RESTORE_FAILED and rolls back). The spare's other prepared groups are retired.
    /// </summary>
    private static PreparedGroup? TakePreparedGroupOfThisSpare(ReplacementHeader header)
    {
        if (!header.Prepared || poolOfThisSpare is not { } pool || pool.Id != header.PoolId ||
            !preparedOfThisSpare.Remove(header.Rank, out PreparedGroup? prepared))
        {
            return null;
        }
        prepared.Window.SetOwnSuperstep(header.Superstep + 1); // Pj stopped at its migration point: the rank continues with the next superstep
        RetiredPrepared.AddRange(preparedOfThisSpare.Values);
        preparedOfThisSpare.Clear();
        return prepared;
    }

    /// <summary>The moving rank: its prepared intercommunicator to <paramref name="spare"/>, taken out (used once), or null.</summary>
    private Communicator? TakePreparedIntercommunicator(SpareInfo spare) =>
        spare.Pool >= 0 && preparedTakes.Remove((spare.Pool, spare.PoolRank), out Communicator? inter) ? inter : null;

    /// <summary>The spare, taken by pool rank <paramref name="takerRank"/> with "TAKE ... P": its prepared intercommunicator to it, or null.</summary>
    private static Communicator? TakePreparedIntercommunicatorOfThisSpare(int takerRank) =>
        preparedTakesOfThisSpare.Remove(takerRank, out Communicator? inter) ? inter : null;
}
