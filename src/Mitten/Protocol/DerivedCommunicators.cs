using System.Globalization;
using System.Text;
using Mitten.Checkpoint.Communication;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Derived communicators (Dup, Split, Create, Cartesian grids and sub-grids) that survive
/// migrations. Every one is made by a split of its parent channel (collective over the parent,
/// as MPI_Comm_split), so this process's color and its rank in the result are all it takes to
/// make it again. A migration rebuilds them on the new group, in creation order, each parent
/// before its children: the same splits with the same colors and ranks, so the replacement has
/// the moving rank's place and every rank its number. The replacement gets the moving rank's
/// creations, drained messages and counts in its header (<see cref="DerivedCommunicatorState"/>).
/// A coordinated checkpoint saves every derived communicator's drained messages by key
/// (GroupProtocol.Restart.cs); a restart gives them back when the program makes that communicator again.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Derived channels with an MPI communicator (used by the program, or the parent of one that is), by id.</summary>
    private readonly SortedDictionary<int, Channel> derived = [];

    private int nextChannelId = 1;

    /// <summary>The program's creation calls in order (replayed on a replacement before its first migration point).</summary>
    private readonly List<CreationCall> creationCalls = [];
    private int replayPosition = int.MaxValue;

    /// <summary>The group's channel and every derived one with an MPI communicator.</summary>
    private List<Channel> LiveChannels()
    {
        var channels = new List<Channel>(1 + derived.Count) { World };
        channels.AddRange(derived.Values);
        return channels;
    }

    /// <summary>A live derived channel by id (the program may keep ids in its state), else null.</summary>
    internal Channel? DerivedById(int id) => derived.TryGetValue(id, out Channel? channel) && !channel.Freed ? channel : null;

    /// <summary>
    /// Makes a derived channel: a split of <paramref name="parent"/> (collective over it) with
    /// <paramref name="color"/> (negative: not a member; returns null) and <paramref name="key"/>.
    /// On a replacement before its first migration point the call is not made again: the channel
    /// its predecessor made at this point of the program, rebuilt on the new group, is returned.
    /// </summary>
    internal Channel? CreateDerived(Channel parent, string kind, int color, int key, int[]? dimensions = null, bool[]? periods = null)
    {
        string signature = string.Create(CultureInfo.InvariantCulture, $"{kind} on communicator {parent.Id} (color {color}, key {key})");
        if (AwaitingFirstMigrationPoint)
        {
            return Replay(signature);
        }
        int index = parent.CreationsMade++;
        Communicator? made = parent.Communicator.Split(color, key);
        parent.Collectives++; // a collective over the parent
        Channel? channel = null;
        if (made is not null)
        {
            channel = new Channel(nextChannelId++, parent, made, $"{parent.Key}.{index}:{color}")
            {
                GroupRanks = GroupRanksOf(made),
                Color = color,
                EventIndex = index,
                Dimensions = dimensions,
                Periods = periods,
                RankAtCreation = made.Rank,
            };
            derived.Add(channel.Id, channel);
            ClaimCheckpointMessages(channel);
        }
        parent.Creations.Add(new Creation { Index = index, Color = color < 0 ? -1 : color, Piece = channel });
        creationCalls.Add(new CreationCall { Id = channel?.Id ?? -1, Signature = signature });
        return channel;
    }

    private int[] GroupRanksOf(Communicator made)
    {
        using Group mine = made.Group;
        using Group group = app.Group;
        int[] ranks = new int[made.Size];
        for (int r = 0; r < ranks.Length; r++)
        {
            ranks[r] = r;
        }
        return mine.TranslateRanks(ranks, group);
    }

    private Channel? Replay(string signature)
    {
        if (replayPosition >= creationCalls.Count)
        {
            throw new InvalidOperationException(
                $"rank {Rank} is a replacement that has not reached its first migration point, and its predecessor made no further communicator there " +
                $"({signature}): a replacement must not communicate before its first migration point; create communicators before the main loop, or keep their ids (MittenCommunicator.Id) and find them with FindDerived");
        }
        CreationCall call = creationCalls[replayPosition++];
        if (call.Signature != signature)
        {
            throw new InvalidOperationException(
                $"rank {Rank} (a replacement) re-creates its communicators in a different order than its predecessor: it asked for {signature}, its predecessor made {call.Signature} here");
        }
        if (call.Id < 0)
        {
            return null;
        }
        return derived.TryGetValue(call.Id, out Channel? channel) ? channel : FreedStandIn(call.Id);
    }

    /// <summary>A channel the program freed (before the migration): every operation on it reports that.</summary>
    private static Channel FreedStandIn(int id) => new(id, null, null!, "freed") { Freed = true };

    /// <summary>The program frees a derived channel (MPI_Comm_free; collective over its members).</summary>
    internal void FreeDerived(Channel channel)
    {
        if (channel.IsGroup)
        {
            throw new InvalidOperationException("the session's communicator is freed by session.Finish(), not by Free()");
        }
        if (channel.Freed)
        {
            throw new ObjectDisposedException($"communicator {channel.Id}", $"communicator {channel.Id} was already freed");
        }
        foreach (int slot in Requests.LiveInStartOrder())
        {
            if (Requests.Records[slot].Channel == channel)
            {
                throw new InvalidOperationException($"communicator {channel.Id} still has non-blocking operations in progress; complete them before freeing it");
            }
        }
        if (outstandingCollectives.Any(c => c.Channel == channel))
        {
            throw new InvalidOperationException($"communicator {channel.Id} still has non-blocking collectives in progress; complete them before freeing it");
        }
        channel.Freed = true;
        ReleaseIfUnneeded(channel);
    }

    /// <summary>Frees the MPI communicator of a channel nothing needs any more, then its parent's if that was all the parent was kept for.</summary>
    private void ReleaseIfUnneeded(Channel? channel)
    {
        while (channel is { IsGroup: false } && !channel.Needed && derived.Remove(channel.Id))
        {
            channel.DisposeCommunicator();
            channel.Received = new ReceivedMessageList();
            Creation? creation = channel.Parent!.Creations.Find(c => c.Piece == channel);
            if (creation is not null)
            {
                creation.Piece = null;
            }
            channel = channel.Parent;
        }
    }

    /// <summary>At the end of the session: the MPI communicators of the derived channels.</summary>
    private void FreeDerivedCommunicators()
    {
        foreach (Channel channel in derived.Values.Reverse())
        {
            channel.DisposeCommunicator();
        }
        derived.Clear();
    }

    /// <summary>
    /// A joining rank, with the new group installed: frees the old group's derived communicators
    /// and makes every derived channel again on the new group (collective, with the replacement
    /// doing the same from its header).
    /// </summary>
    private void RebuildDerivedCommunicators()
    {
        foreach (Channel channel in derived.Values)
        {
            channel.DisposeCommunicator();
        }
        derived.Clear();
        Rebuild(World);
    }

    /// <summary>
    /// Makes <paramref name="parent"/>'s derived channels again on its (new) communicator, in
    /// creation order, each one's own before the next. Creations no member needs any more (all
    /// freed) are dropped on every member alike: one allreduce of the needed flags over the parent.
    /// </summary>
    private void Rebuild(Channel parent)
    {
        if (parent.Creations.Count == 0)
        {
            return;
        }
        int[] needed = new int[parent.Creations.Count];
        for (int i = 0; i < needed.Length; i++)
        {
            needed[i] = parent.Creations[i].Piece is { Needed: true } ? 1 : 0;
        }
        parent.Communicator.AllreduceInPlace<int>(needed, Op.Max);
        var kept = new List<Creation>();
        for (int i = 0; i < needed.Length; i++)
        {
            Creation creation = parent.Creations[i];
            if (needed[i] == 0)
            {
                continue;
            }
            kept.Add(creation);
            Channel? piece = creation.Piece is { Needed: true } ? creation.Piece : null;
            creation.Piece = piece;
            Communicator? made = parent.Communicator.Split(piece is null ? -1 : creation.Color, piece?.RankAtCreation ?? 0);
            if (piece is null)
            {
                made?.Dispose();
                continue;
            }
            piece.Communicator = made ?? throw new InvalidOperationException($"rebuilding communicator {piece.Key} gave no communicator");
            if (made.Rank != piece.RankAtCreation)
            {
                throw new InvalidOperationException($"rebuilding communicator {piece.Key} gave rank {made.Rank}, not {piece.RankAtCreation}");
            }
            derived.Add(piece.Id, piece);
            Rebuild(piece);
        }
        parent.Creations.Clear();
        parent.Creations.AddRange(kept);
    }

    /// <summary>
    /// A restart: messages a checkpoint saved for derived communicators, by <see cref="Channel.Key"/>,
    /// until the restarted program makes each communicator again (null when none are waiting).
    /// </summary>
    private Dictionary<string, ReceivedMessageList>? checkpointMessagesToClaim;

    /// <summary>A restart: holds the messages a checkpoint saved for the derived communicator with <paramref name="key"/>.</summary>
    private void HoldCheckpointMessages(string key, ReceivedMessageList messages)
    {
        checkpointMessagesToClaim ??= [];
        if (!checkpointMessagesToClaim.TryAdd(key, messages))
        {
            throw new InvalidDataException($"the checkpoint holds the messages of derived communicator {key} twice");
        }
    }

    /// <summary>A derived channel was made: the messages a checkpoint saved for it (same key) become its drained messages.</summary>
    private void ClaimCheckpointMessages(Channel channel)
    {
        if (checkpointMessagesToClaim is not null && checkpointMessagesToClaim.Remove(channel.Key, out ReceivedMessageList? held))
        {
            channel.Received = held; // a channel just made holds no messages of its own yet
            if (checkpointMessagesToClaim.Count == 0)
            {
                checkpointMessagesToClaim = null;
            }
        }
    }

    /// <summary>Saved messages of derived communicators not made again yet (carried into checkpoints and migrations).</summary>
    private IEnumerable<(string Key, byte[] List)> UnclaimedCheckpointMessages() =>
        checkpointMessagesToClaim is null ? [] : checkpointMessagesToClaim.Select(p => (p.Key, p.Value.Serialize())).ToList();

    /// <summary>The moving rank: its derived channels, creations and drained messages, for the replacement's header.</summary>
    private DerivedCommunicatorState DescribeDerivedCommunicators()
    {
        var state = new DerivedCommunicatorState
        {
            NextId = nextChannelId,
            GroupCreationsMade = World.CreationsMade,
            Calls = [.. creationCalls],
            UnclaimedCheckpointMessages = checkpointMessagesToClaim is null ? null : UnclaimedCheckpointMessages().ToDictionary(p => p.Key, p => p.List),
        };
        Describe(World, state.Channels);
        return state;
    }

    private static void Describe(Channel parent, List<DerivedChannelRecord> records)
    {
        foreach (Creation creation in parent.Creations)
        {
            Channel? piece = creation.Piece;
            records.Add(new DerivedChannelRecord
            {
                ParentId = parent.Id,
                Index = creation.Index,
                Color = creation.Color,
                Id = piece?.Id ?? -1,
                Rank = piece?.RankAtCreation ?? -1,
                GroupRanks = piece?.GroupRanks ?? [],
                Dimensions = piece?.Dimensions,
                Periods = piece?.Periods,
                Freed = piece?.Freed ?? false,
                Collectives = piece?.Collectives ?? 0,
                CreationsMade = piece?.CreationsMade ?? 0,
                Received = piece?.Received.Serialize(),
            });
            if (piece is not null)
            {
                Describe(piece, records);
            }
        }
    }

    /// <summary>
    /// The replacement, a member of the new group: takes over the moving rank's derived channels
    /// (from the header) and makes them on the new group with the joining ranks (collective).
    /// </summary>
    internal void RestoreDerivedCommunicators(DerivedCommunicatorState? state)
    {
        if (state is null)
        {
            return;
        }
        nextChannelId = state.NextId;
        World.CreationsMade = state.GroupCreationsMade;
        var channels = new Dictionary<int, Channel> { [0] = World };
        foreach (DerivedChannelRecord record in state.Channels)
        {
            Channel parent = channels[record.ParentId];
            Channel? piece = null;
            if (record.Id >= 0)
            {
                piece = new Channel(record.Id, parent, null!, $"{parent.Key}.{record.Index}:{record.Color}")
                {
                    GroupRanks = record.GroupRanks,
                    Color = record.Color,
                    EventIndex = record.Index,
                    Dimensions = record.Dimensions,
                    Periods = record.Periods,
                    RankAtCreation = record.Rank,
                    Freed = record.Freed,
                    CreationsMade = record.CreationsMade,
                    Received = record.Received is null ? new ReceivedMessageList() : ReceivedMessageList.Deserialize(record.Received),
                };
                piece.Collectives = record.Collectives;
                channels.Add(piece.Id, piece);
            }
            parent.Creations.Add(new Creation { Index = record.Index, Color = record.Color, Piece = piece });
        }
        creationCalls.AddRange(state.Calls);
        foreach ((string key, byte[] list) in state.UnclaimedCheckpointMessages ?? [])
        {
            HoldCheckpointMessages(key, ReceivedMessageList.Deserialize(list));
        }
        replayPosition = 0;
        Rebuild(World);
    }
}

/// <summary>What a replacement needs to make the moving rank's derived communicators again (in its header).</summary>
internal sealed class DerivedCommunicatorState
{
    public int NextId { get; set; }
    public int GroupCreationsMade { get; set; }

    /// <summary>Every creation on every channel, parents before children, in creation order per parent.</summary>
    public List<DerivedChannelRecord> Channels { get; set; } = [];

    /// <summary>The program's creation calls in order (replayed before the replacement's first migration point).</summary>
    public List<CreationCall> Calls { get; set; } = [];

    /// <summary>After a restart: messages a checkpoint saved for derived communicators the program has not made again yet, by key.</summary>
    public Dictionary<string, byte[]>? UnclaimedCheckpointMessages { get; set; }
}

/// <summary>One creation on a channel and, when this process got a communicator from it, that communicator.</summary>
internal sealed class DerivedChannelRecord
{
    public int ParentId { get; set; }
    public int Index { get; set; }
    public int Color { get; set; }
    /// <summary>-1: this process got no communicator (or no longer needs it).</summary>
    public int Id { get; set; }
    public int Rank { get; set; }
    public int[] GroupRanks { get; set; } = [];
    public int[]? Dimensions { get; set; }
    public bool[]? Periods { get; set; }
    public bool Freed { get; set; }
    public long Collectives { get; set; }
    public int CreationsMade { get; set; }
    /// <summary>Its received-message-list (messages drained on it), serialized.</summary>
    public byte[]? Received { get; set; }
}

/// <summary>One creation call of the program: the channel it returned (-1: none) and what was asked.</summary>
internal sealed class CreationCall
{
    public int Id { get; set; }
    public string Signature { get; set; } = "";
}
