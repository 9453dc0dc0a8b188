namespace Mitten.Checkpoint.Communication;

/// <summary>
/// Where each rank runs: rank (location-free) -> vmid (host, process id), patent 000's
/// process-location table. Updated when a migration commits.
/// </summary>
public sealed class LocationTable
{
    private readonly Dictionary<int, ProcessLocation> entries = new();

    /// <summary>The location of <paramref name="rank"/>, if known.</summary>
    public bool TryGet(int rank, out ProcessLocation location) => entries.TryGetValue(rank, out location);

    /// <summary>Records that <paramref name="rank"/> now runs at <paramref name="location"/>.</summary>
    public void Set(int rank, ProcessLocation location) => entries[rank] = location;

    /// <summary>All entries, ordered by rank.</summary>
    public IReadOnlyList<KeyValuePair<int, ProcessLocation>> Entries => entries.OrderBy(e => e.Key).ToList();
}

/// <summary>A process's location (the patent's vmid).</summary>
/// <param name="Host">Host name.</param>
/// <param name="ProcessId">Operating-system process id.</param>
public readonly record struct ProcessLocation(string Host, int ProcessId);

/// <summary>The migrate()/initialize() handshake messages of patent 000, in the order they happen.</summary>
public enum HandshakePhase
{
    /// <summary>The migrating process has begun (it stops accepting new work at its migration point).</summary>
    MigrationStart,
    /// <summary>The new process has received and restored the state.</summary>
    RestoreComplete,
    /// <summary>The migration is final: the location table is updated and the old process exits.</summary>
    MigrationCommit,
    /// <summary>The migration was abandoned before the commit; the old process keeps running.</summary>
    Rollback,
}
