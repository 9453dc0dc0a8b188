using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// The per-rank protocol state published through one MPI window, as patent 002 keeps it:
/// each rank's superstep (with the synchronization flag), its collective count, and while
/// blocked the operation, peer and tag it waits on; rank 0's entry also holds the group's
/// migration lock. A shared lock_all epoch is held for the window's whole life.
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

    internal SuperstepWindow(Communicator group, long initialSuperstep)
    {
        rank = group.Rank;
        window = Window<long>.Allocate(group, EntryLength);
        window.Local[SuperstepSlot] = initialSuperstep;
        unsafe
        {
            localSuperstep = (long*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref window.Local[SuperstepSlot]);
        }
        window.LockAll();
        group.Barrier(); // every entry is initialised before anyone reads one
    }

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

    /// <summary>Sets the flag on <paramref name="target"/>'s superstep and returns the frozen count.</summary>
    internal long Freeze(int target) => window.FetchAndOp(SyncFlag, target, SuperstepSlot, Op.BitwiseOr) & ~SyncFlag;

    /// <summary>Stores this rank's superstep and clears the flag (after the synchronization ended).</summary>
    internal void Reset(long superstep) => window.FetchAndOp(superstep, rank, SuperstepSlot, Op.Replace);

    /// <summary>Publishes the collective count and the operation this rank is blocked in (local stores).</summary>
    internal void PublishOperation(long collectives, BlockedOperation operation, int peer, int tag)
    {
        Span<long> local = window.Local;
        local[CollectivesSlot] = collectives;
        local[PeerSlot] = peer;
        local[TagSlot] = tag;
        Volatile.Write(ref local[OperationSlot], (long)operation);
    }

    /// <summary>Reads <paramref name="target"/>'s published operation (what it is blocked in, and on whom).</summary>
    internal (BlockedOperation Operation, int Peer, int Tag, long Collectives) ReadOperation(int target)
    {
        Span<long> entry = stackalloc long[EntryLength];
        window.Get(entry, target, 0);
        return ((BlockedOperation)entry[OperationSlot], (int)entry[PeerSlot], (int)entry[TagSlot], entry[CollectivesSlot]);
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
