using Mitten.Checkpoint.Communication;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// One communicator the application talks on through Mitten: the group's own (id 0) or a
/// derived one (Dup, Split, Create, a Cartesian grid or sub-grid). Each has its own MPI
/// communicator, received-message-list, collective count and drain markers, so a drain closes
/// every channel separately and a receive on one never takes another's messages. A derived
/// channel is made by a split of its parent; <see cref="Color"/> and this process's rank in it
/// are enough to make it again, with the same ranks, on the group rebuilt by a migration.
/// </summary>
internal sealed class Channel
{
    private Communicator communicator;

    internal Channel(int id, Channel? parent, Communicator communicator, string key)
    {
        Id = id;
        Parent = parent;
        this.communicator = communicator;
        Key = key;
        MarkerSeen = communicator is null ? [] : new bool[communicator.Size];
    }

    /// <summary>0 for the group, else unique on this process (and kept by a replacement).</summary>
    internal int Id { get; }

    internal Channel? Parent { get; }

    /// <summary>The same on every member: the parent's key, the creation's index on the parent, the color.</summary>
    internal string Key { get; }

    /// <summary>The MPI communicator (replaced when the group is rebuilt).</summary>
    internal Communicator Communicator
    {
        get => communicator;
        set
        {
            communicator = value;
            MarkerSeen = new bool[value.Size];
            facade?.ForgetUsable();
        }
    }

    /// <summary>
    /// Frees the MPI communicator (at the end of the session, at a rebuild, or when nothing needs
    /// it any more). The program's object for this channel forgets the handle it kept, so a later
    /// call on it is refused by the binding (<see cref="ObjectDisposedException"/>) instead of
    /// reaching MPI with a freed handle.
    /// </summary>
    internal void DisposeCommunicator()
    {
        communicator.Dispose();
        facade?.ForgetUsable();
    }

    internal ReceivedMessageList Received { get; set; } = new();

    /// <summary>
    /// Collective operations completed on this communicator. Kept in the application's object
    /// (<see cref="Facade"/>) once there is one, where a collective counts itself with the object
    /// it already holds; here until then (a channel restored or rebuilt before the program asks
    /// for its communicator).
    /// </summary>
    internal long Collectives
    {
        get => facade is null ? collectivesWithoutFacade : facade.CollectiveCount;
        set
        {
            if (facade is null)
            {
                collectivesWithoutFacade = value;
            }
            else
            {
                facade.CollectiveCount = value;
            }
        }
    }

    private long collectivesWithoutFacade;

    /// <summary>Members' ranks in the group, by rank here (null for the group itself).</summary>
    internal int[]? GroupRanks { get; init; }

    /// <summary>The color of the split that made it on its parent (rebuilt with the same).</summary>
    internal int Color { get; init; }

    /// <summary>The creation on the parent that made it (part of <see cref="Key"/>).</summary>
    internal int EventIndex { get; init; }

    /// <summary>Cartesian grid: extent per dimension (null when not a grid).</summary>
    internal int[]? Dimensions { get; init; }

    /// <summary>Cartesian grid: whether each dimension wraps around.</summary>
    internal bool[]? Periods { get; init; }

    /// <summary>This process's rank in it (kept by every rebuild).</summary>
    internal int RankAtCreation { get; init; }

    /// <summary>The program freed it (kept while channels derived from it live, to rebuild them).</summary>
    internal bool Freed
    {
        get => freed;
        set
        {
            freed = value;
            facade?.ForgetUsable();
        }
    }

    private bool freed;

    /// <summary>Creations made on this channel (collective over its members, so the same list on each), in order.</summary>
    internal List<Creation> Creations { get; } = [];

    /// <summary>Creations ever made on this channel (the next one's index).</summary>
    internal int CreationsMade { get; set; }

    /// <summary>Peers whose drain marker on this channel was taken (reset after each drain).</summary>
    internal bool[] MarkerSeen { get; private set; } = [];

    internal int Rank => communicator.Rank;

    internal int Size => communicator.Size;

    internal bool IsGroup => Id == 0;

    /// <summary>A rank here as a rank of the group (wildcards and MPI_PROC_NULL unchanged).</summary>
    internal int ToGroupRank(int rank) => GroupRanks is null || rank < 0 || rank >= GroupRanks.Length ? rank : GroupRanks[rank];

    /// <summary>A group rank's rank here (-1 when it is not a member).</summary>
    internal int FromGroupRank(int groupRank) => GroupRanks is null ? groupRank : Array.IndexOf(GroupRanks, groupRank);

    /// <summary>Whether the channel must be rebuilt: the program uses it, or a channel derived from it lives.</summary>
    internal bool Needed => !Freed || Creations.Any(c => c.Piece is { Needed: true });

    /// <summary>
    /// The application's object for this channel (one per channel, kept across rebuilds). It
    /// caches <see cref="Communicator"/> while the channel is usable; setting the communicator
    /// or <see cref="Freed"/> empties that cache.
    /// </summary>
    /// <remarks>It takes over the collective count (<see cref="Collectives"/>) when set; it is set once.</remarks>
    internal MittenCommunicator? Facade
    {
        get => facade;
        set
        {
            if (value is not null && !ReferenceEquals(value, facade))
            {
                value.CollectiveCount = Collectives;
            }
            facade = value;
        }
    }

    private MittenCommunicator? facade;

    internal void ResetMarkers() => Array.Clear(MarkerSeen);
}

/// <summary>
/// One collective creation on a channel, as this process took part in it: the color it passed
/// (negative: none) and the channel it got (null: none, or no longer needed).
/// </summary>
internal sealed class Creation
{
    internal required int Index { get; init; }
    internal required int Color { get; init; }
    internal Channel? Piece { get; set; }
}
