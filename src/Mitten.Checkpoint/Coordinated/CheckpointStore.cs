using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

namespace Mitten.Checkpoint.Coordinated;

/// <summary>
/// Coordinated checkpoints of a whole MPI job in a directory every rank can see:
/// <c>&lt;directory&gt;/&lt;epoch&gt;/rank-&lt;r&gt;.state</c> plus a <c>manifest</c>. An epoch counts
/// only once every rank has written and flushed its file and rank 0 has then written the
/// manifest (temporary name, fsync, rename). The newest <see cref="Keep"/> epochs are kept.
/// </summary>
/// <remarks>
/// <see cref="Write{T}"/> and <see cref="Restore{T}"/> are collective: every rank of the
/// communicator calls them at the same point of the program.
/// </remarks>
public sealed class CheckpointStore
{
    private const string ManifestName = "manifest";
    private const string ManifestMagic = "mitten-checkpoint 1";
    private readonly StateTypeRegistry types;

    /// <summary>Creates a store over <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">Directory shared by all ranks.</param>
    /// <param name="types">The registered state types (the same in every run of the program).</param>
    /// <param name="keep">How many complete epochs to keep (at least 1).</param>
    public CheckpointStore(string directory, StateTypeRegistry types, int keep = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Directory = Path.GetFullPath(directory);
        this.types = types ?? throw new ArgumentNullException(nameof(types));
        Keep = keep;
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>How many complete epochs are kept.</summary>
    public int Keep { get; }

    /// <summary>
    /// Collective: every rank writes <paramref name="state"/> and its opaque
    /// <paramref name="communicationState"/> into a new epoch, which is committed by the manifest
    /// once all ranks have succeeded. Older epochs beyond <see cref="Keep"/> are removed.
    /// </summary>
    /// <returns>The committed epoch number (the same on every rank).</returns>
    /// <exception cref="IOException">Some rank could not write its file; the epoch was not committed (on every rank).</exception>
    public long Write<T>(Communicator communicator, T state, byte[]? communicationState = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        int rank = communicator.Rank, size = communicator.Size;
        long epoch = rank == 0 ? Math.Max(0, EpochDirectories().Select(e => e.Epoch).DefaultIfEmpty(0).Max()) + 1 : 0;
        epoch = communicator.Bcast(epoch, 0);
        string epochDirectory = Path.Combine(Directory, epoch.ToString(CultureInfo.InvariantCulture));
        string? failure = null;
        long bytes = 0;
        try
        {
            System.IO.Directory.CreateDirectory(epochDirectory);
            string final = RankFile(epochDirectory, rank);
            string temporary = final + ".tmp";
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                StateSerializer.Save(new[] { epoch, rank, size }, file, types);
                StateSerializer.Save(state, file, types);
                StateSerializer.Save(communicationState ?? [], file, types);
                file.Flush(flushToDisk: true);
                bytes = file.Length;
            }
            File.Move(temporary, final, overwrite: true);
            SyncDirectory(epochDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            failure = $"rank {rank}: {e.GetType().Name}: {e.Message}";
        }
        Span<long> sizes = new long[size];
        communicator.Allgather(failure is null ? bytes : -1, sizes);
        if (sizes.Contains(-1L))
        {
            throw new IOException($"checkpoint epoch {epoch} was not committed: " + (failure ?? "another rank failed to write its file"));
        }
        int committed = 1;
        if (rank == 0)
        {
            try
            {
                WriteManifest(epochDirectory, epoch, sizes);
                Prune();
            }
            catch (IOException e)
            {
                failure = $"rank 0 could not write the manifest: {e.Message}";
                committed = 0;
            }
        }
        committed = communicator.Bcast(committed, 0);
        if (committed == 0)
        {
            throw new IOException($"checkpoint epoch {epoch} was not committed: " + (failure ?? "rank 0 could not write the manifest"));
        }
        return epoch;
    }

    /// <summary>
    /// Collective: restores the newest epoch that is complete and readable on every rank. When a
    /// newer epoch is incomplete or corrupt it falls back to an older one and says so on
    /// <paramref name="log"/> (default: standard error) and in <see cref="CheckpointRestore{T}.Diagnostics"/>.
    /// </summary>
    /// <returns>The restored state, or null when no usable epoch exists (start from scratch).</returns>
    public CheckpointRestore<T>? Restore<T>(Communicator communicator, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        log ??= Console.Error;
        int rank = communicator.Rank, size = communicator.Size;
        long[] candidates = rank == 0 ? EpochDirectories().Select(e => e.Epoch).OrderDescending().ToArray() : [];
        int count = communicator.Bcast(candidates.Length, 0);
        if (rank != 0)
        {
            candidates = new long[count];
        }
        communicator.Bcast<long>(candidates, 0);
        var diagnostics = new List<string>();
        foreach (long epoch in candidates)
        {
            string? problem = null;
            T state = default!;
            byte[] communication = [];
            try
            {
                (state, communication) = ReadEpoch<T>(epoch, rank, size);
            }
            catch (Exception e) when (e is IOException or StateFormatException or UnauthorizedAccessException or InvalidDataException)
            {
                problem = e.Message;
            }
            int ok = communicator.Allreduce(problem is null ? 1 : 0, Op.Min);
            if (ok == 1)
            {
                if (diagnostics.Count > 0)
                {
                    Report(log, diagnostics, $"rank {rank}: restored the older epoch {epoch} instead");
                }
                return new CheckpointRestore<T>(epoch, state, communication, diagnostics);
            }
            Report(log, diagnostics, problem is not null
                ? $"rank {rank}: checkpoint epoch {epoch} is unusable ({problem}); falling back to an older epoch"
                : $"rank {rank}: checkpoint epoch {epoch} is unusable on another rank; falling back to an older epoch");
        }
        if (diagnostics.Count > 0)
        {
            Report(log, diagnostics, $"rank {rank}: no usable checkpoint epoch in {Directory}");
        }
        return null;
    }

    private static void Report(TextWriter log, List<string> diagnostics, string line)
    {
        diagnostics.Add(line);
        log.WriteLine("checkpoint: " + line);
        log.Flush();
    }

    private (T State, byte[] Communication) ReadEpoch<T>(long epoch, int rank, int size)
    {
        string epochDirectory = Path.Combine(Directory, epoch.ToString(CultureInfo.InvariantCulture));
        long[] sizes = ReadManifest(epochDirectory, epoch);
        if (sizes.Length != size)
        {
            throw new InvalidDataException($"it was written by {sizes.Length} ranks, this job has {size}");
        }
        string path = RankFile(epochDirectory, rank);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (file.Length != sizes[rank])
        {
            throw new InvalidDataException($"{path} holds {file.Length} bytes, the manifest says {sizes[rank]}");
        }
        long[] identity = StateSerializer.Restore<long[]>(file, types);
        if (identity.Length != 3 || identity[0] != epoch || identity[1] != rank || identity[2] != size)
        {
            throw new InvalidDataException($"{path} belongs to epoch {identity.ElementAtOrDefault(0)} rank {identity.ElementAtOrDefault(1)}");
        }
        T state = StateSerializer.Restore<T>(file, types);
        byte[] communication = StateSerializer.Restore<byte[]>(file, types);
        if (file.Position != file.Length)
        {
            throw new InvalidDataException($"{path} has {file.Length - file.Position} extra bytes");
        }
        return (state, communication);
    }

    private static string RankFile(string epochDirectory, int rank) =>
        Path.Combine(epochDirectory, $"rank-{rank.ToString(CultureInfo.InvariantCulture)}.state");

    private IEnumerable<(long Epoch, string Path)> EpochDirectories()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            yield break;
        }
        foreach (string d in System.IO.Directory.EnumerateDirectories(Directory))
        {
            if (long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out long epoch) && epoch > 0)
            {
                yield return (epoch, d);
            }
        }
    }

    private static void WriteManifest(string epochDirectory, long epoch, ReadOnlySpan<long> sizes)
    {
        var text = new StringBuilder();
        text.Append(ManifestMagic).Append('\n');
        text.Append("epoch ").Append(epoch.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("ranks ").Append(sizes.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        for (int r = 0; r < sizes.Length; r++)
        {
            text.Append("rank ").Append(r.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(sizes[r].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        string check = TextChecksum(text.ToString()).ToString("x16", CultureInfo.InvariantCulture);
        text.Append("check ").Append(check).Append('\n');
        string final = Path.Combine(epochDirectory, ManifestName);
        string temporary = final + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(text.ToString()));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, final, overwrite: true);
        SyncDirectory(epochDirectory);
    }

    private static long[] ReadManifest(string epochDirectory, long epoch)
    {
        string path = Path.Combine(epochDirectory, ManifestName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException("it is incomplete (no manifest)");
        }
        string[] lines = File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 4 || lines[0] != ManifestMagic || !lines[^1].StartsWith("check ", StringComparison.Ordinal))
        {
            throw new InvalidDataException("its manifest is malformed");
        }
        string body = string.Join("", lines[..^1].Select(l => l + "\n"));
        if (lines[^1] != "check " + TextChecksum(body).ToString("x16", CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException("its manifest fails its checksum");
        }
        if (lines[1] != "epoch " + epoch.ToString(CultureInfo.InvariantCulture)
            || !lines[2].StartsWith("ranks ", StringComparison.Ordinal)
            || !int.TryParse(lines[2].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int ranks)
            || ranks <= 0 || lines.Length != ranks + 4)
        {
            throw new InvalidDataException("its manifest does not describe this epoch");
        }
        var sizes = new long[ranks];
        for (int r = 0; r < ranks; r++)
        {
            string[] parts = lines[3 + r].Split(' ');
            if (parts.Length != 3 || parts[0] != "rank" || parts[1] != r.ToString(CultureInfo.InvariantCulture)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[r]))
            {
                throw new InvalidDataException("its manifest has a malformed rank line");
            }
        }
        return sizes;
    }

    /// <summary>Keeps the newest <see cref="Keep"/> committed epochs; removes every epoch directory older than those.</summary>
    private void Prune()
    {
        var all = EpochDirectories().OrderByDescending(e => e.Epoch).ToList();
        var committed = all.Where(e => File.Exists(Path.Combine(e.Path, ManifestName))).ToList();
        if (committed.Count <= Keep)
        {
            return;
        }
        long oldestKept = committed[Keep - 1].Epoch;
        foreach (var (epoch, path) in all)
        {
            if (epoch < oldestKept)
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
    }

    private static ulong TextChecksum(string text)
    {
        var sum = new Checksum();
        sum.Update(Encoding.UTF8.GetBytes(text));
        return sum.Finish(0, (byte)'M');
    }

    private static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        int fd = open(path, 0 /* O_RDONLY */);
        if (fd >= 0)
        {
            fsync(fd);
            close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc")]
    private static extern int close(int fd);
}

/// <summary>What <see cref="CheckpointStore.Restore{T}"/> found.</summary>
/// <typeparam name="T">The state type.</typeparam>
public sealed class CheckpointRestore<T>
{
    internal CheckpointRestore(long epoch, T state, byte[] communicationState, IReadOnlyList<string> diagnostics)
    {
        Epoch = epoch;
        State = state;
        CommunicationState = communicationState;
        Diagnostics = diagnostics;
    }

    /// <summary>The epoch restored.</summary>
    public long Epoch { get; }

    /// <summary>This rank's state as it was written.</summary>
    public T State { get; }

    /// <summary>This rank's communication state as it was written (empty when none was given).</summary>
    public byte[] CommunicationState { get; }

    /// <summary>Newer epochs that were skipped and why (empty when the newest epoch was used).</summary>
    public IReadOnlyList<string> Diagnostics { get; }
}
