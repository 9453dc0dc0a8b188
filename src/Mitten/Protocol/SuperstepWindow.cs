using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// The per-rank protocol state published through one MPI window, as patent 002 keeps it:
/// each rank's superstep (with the synchronization flag), its collective count, and while
/// blocked the operation, peer and tag it waits on; rank 0's entry also holds the group's
/// migration lock. A shared lock_all epoch is held for the window's whole life.
/// This class is the one owner of the superstep word's transitions: <see cref="TryAdvance"/>
/// (the owner, s -> s+1 unless frozen), <see cref="FreezeAll"/> (the leader sets the flag on
/// every word) and <see cref="PublishAfterSynchronization"/> (the owner, once per
/// synchronization, before it acknowledges the resume; a new group's window is created with
/// the final value instead). The leader releases the lock only after every acknowledgement, so
/// no republish can clear the flag of a later synchronization.
/// </summary>
internal sealed class SuperstepWindow : IDisposable
{
    internal const int EntryLength = 8;
    private const int SuperstepSlot = 0;
    private const int CollectivesSlot = 1;
    private const int OperationSlot = 2;
    private const int PeerSlot = 3;
    private const int TagSlot = 4;
    private const int LockSlot = 5;

    /// <summary>Set in a superstep word by the migrating process: the count is frozen.</summary>
    internal const long SyncFlag = 1L << 62;

    private readonly Window<long> window;
    private readonly int rank;
    private readonly unsafe long* localSuperstep; // window memory (MPI-allocated, does not move)

    /// <summary>
    /// Creates the window (collective). <paramref name="sharedMemory"/>: allocate it in MPI
    /// memory, so that osc/sm can serve it with shared-memory atomics when the group is on one
    /// node; only for the job's original group. A group rebuilt with a spawned process exposes
    /// an array instead (MPI_Win_create, which osc/sm does not serve, so osc/pt2pt does): with
    /// osc/sm over such a group, Open MPI 4.1.4 hung in a later migration's spawn.
    /// </summary>
    /// <remarks>
    /// Every entry must hold its initial value before anyone reads it. MPI memory exists only
    /// once MPI_Win_allocate has returned, so that window is initialised afterwards and a barrier
    /// follows. An exposed array is initialised before MPI_Win_create, which every member calls
    /// with its entry already set and no member can reach another's entry before that one's
    /// MPI_Win_create: no barrier is needed (one collective less in every rebuild).
    /// </remarks>
    internal SuperstepWindow(Communicator group, long initialSuperstep, bool sharedMemory)
    {
        rank = group.Rank;
        if (sharedMemory)
        {
            window = Window<long>.Allocate(group, EntryLength);
            window.Local[SuperstepSlot] = initialSuperstep;
        }
        else
        {
            long[] entry = new long[EntryLength];
            entry[SuperstepSlot] = initialSuperstep;
            window = Window<long>.Create(group, entry);
        }
        unsafe
        {
            localSuperstep = (long*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref window.Local[SuperstepSlot]);
        }
        window.LockAll();
        if (sharedMemory)
        {
            group.Barrier(); // every entry is initialised before anyone reads one
        }
    }

    /// <summary>
    /// Where this rank's superstep word is (it does not move for the window's life): an
    /// interruptible wait (<see cref="RequestHandle.WaitUnlessFlagged"/>) watches it for <see cref="SyncFlag"/>.
    /// </summary>
    internal unsafe long* LocalWordAddress => localSuperstep;

    /// <summary>Raw superstep word of this rank as last stored (includes <see cref="SyncFlag"/>).</summary>
    internal unsafe long LocalWord
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref *localSuperstep);
    }

    /// <summary>Whether the migrating process has frozen this rank's superstep (read locally, no MPI call).</summary>
    internal bool SyncFlagSeen
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => (LocalWord & SyncFlag) != 0;
    }

    /// <summary>
    /// Advances this rank's superstep from <paramref name="current"/> to current + 1 unless the
    /// flag was set; atomic with respect to the migrating process's freeze.
    /// </summary>
    internal bool TryAdvance(long current) =>
        window.CompareAndSwap(current + 1, current, rank, SuperstepSlot) == current;

    /// <summary>
    /// Sets the flag on every rank's superstep at once (the fetch-and-ops are all started, then
    /// completed together, so the ranks' answers overlap) and returns the largest frozen count.
    /// Each freeze is still one atomic operation on its rank's word.
    /// </summary>
    internal long FreezeAll(int size)
    {
        Span<int> targets = size <= 256 ? stackalloc int[size] : new int[size];
        Span<long> frozen = size <= 256 ? stackalloc long[size] : new long[size];
        for (int i = 0; i < size; i++)
        {
            targets[i] = i;
        }
        window.FetchAndOpEach(SyncFlag, targets, SuperstepSlot, Op.BitwiseOr, frozen);
        long max = 0;
        foreach (long word in frozen)
        {
            max = Math.Max(max, word & ~SyncFlag);
        }
        return max;
    }

    /// <summary>
    /// Stores this rank's superstep and clears the flag, once per synchronization, before the
    /// resume is acknowledged to the leader (which holds the migration lock until then).
    /// </summary>
    internal void PublishAfterSynchronization(long superstep) => window.FetchAndOp(superstep, rank, SuperstepSlot, Op.Replace);

    /// <summary>
    /// Stores this rank's superstep in a window nobody uses yet (a prepared group's,
    /// Steps/PreparedGroups.cs): a local store, made before the group can be used by anyone.
    /// </summary>
    internal unsafe void SetOwnSuperstep(long superstep) => Volatile.Write(ref *localSuperstep, superstep);

    /// <summary>Publishes the collective count and the operation this rank is blocked in (local stores).</summary>
    internal void PublishOperation(long collectives, BlockedOperation operation, int peer, int tag)
    {
        Span<long> local = window.Local;
        local[CollectivesSlot] = collectives;
        local[PeerSlot] = peer;
        local[TagSlot] = tag;
        Volatile.Write(ref local[OperationSlot], (long)operation);
    }

    /// <summary>Reads the published operations of <paramref name="targets"/> in one overlapped get.</summary>
    internal (BlockedOperation Operation, int Peer, int Tag, long Collectives)[] ReadOperations(ReadOnlySpan<int> targets)
    {
        long[] entries = new long[targets.Length * EntryLength];
        window.GetEach(targets, 0, entries);
        var result = new (BlockedOperation, int, int, long)[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            Span<long> entry = entries.AsSpan(i * EntryLength, EntryLength);
            result[i] = ((BlockedOperation)entry[OperationSlot], (int)entry[PeerSlot], (int)entry[TagSlot], entry[CollectivesSlot]);
        }
        return result;
    }

    /// <summary>Takes the group's migration lock (held at rank 0) for <paramref name="owner"/>; false when another migration holds it.</summary>
    internal bool TryLockMigration(int owner) => window.CompareAndSwap(owner + 1, 0L, 0, LockSlot) == 0;

    /// <summary>Releases the migration lock.</summary>
    internal void UnlockMigration() => window.FetchAndOp(0L, 0, LockSlot, Op.Replace);

    /// <summary>Ends the epoch and frees the window (collective).</summary>
    public void Dispose()
    {
        window.UnlockAll();
        window.Dispose();
    }
}
