using System.Globalization;

namespace Mitten.Runtime.Control;

/// <summary>
/// What the runtime can tell about checkpoints without the job: the outcomes a job wrote
/// (checkpoints/*.json) and, in a checkpoint directory, whether its newest epoch is complete
/// (<c>&lt;epoch&gt;/manifest</c> committed by rank 0, one <c>rank-&lt;r&gt;.state</c> per rank of
/// the size the manifest gives; the checksums are the job's to verify when it restores).
/// </summary>
internal static class CheckpointCatalog
{
    private const string ManifestMagic = "mitten-checkpoint 1";

    /// <summary>One checkpoint: where, when, which epoch and superstep, how big, complete or not (and why not).</summary>
    internal sealed record Entry(
        string Id, string Directory, DateTimeOffset? Time, long? Epoch, long? Superstep, long SizeBytes, bool Complete, int? Ranks, string Problem);

    /// <summary>The job's checkpoints, oldest first.</summary>
    public static List<Entry> List(JobDirectory job)
    {
        var entries = new List<Entry>();
        if (!System.IO.Directory.Exists(job.CheckpointsDirectory))
        {
            return entries;
        }
        foreach (string file in System.IO.Directory.EnumerateFiles(job.CheckpointsDirectory, "*.json"))
        {
            CheckpointOutcomeDocument outcome;
            try
            {
                outcome = ControlFiles.ReadCheckpoint(file);
            }
            catch (Exception e) when (e is MittenException or IOException)
            {
                continue;
            }
            var time = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
            string dir = outcome.Dir ?? Path.Combine(job.CheckpointsDirectory, outcome.Id);
            if (outcome.Outcome != CheckpointOutcomeDocument.Written)
            {
                entries.Add(new Entry(outcome.Id, dir, time, outcome.Epoch, outcome.Superstep, 0, false, null, "failed: " + (outcome.Reason ?? "no reason given")));
                continue;
            }
            Entry found = Describe(dir);
            entries.Add(found with { Id = outcome.Id, Time = time, Epoch = outcome.Epoch ?? found.Epoch, Superstep = outcome.Superstep });
        }
        return entries.OrderBy(e => e.Time).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>A checkpoint directory's newest epoch: complete or not, its rank count and size.</summary>
    public static Entry Describe(string directory)
    {
        string id = Path.GetFileName(directory.TrimEnd('/'));
        if (!System.IO.Directory.Exists(directory))
        {
            return new Entry(id, directory, null, null, null, 0, false, null, "no such directory");
        }
        var epochs = System.IO.Directory.EnumerateDirectories(directory)
            .Select(d => long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? (Epoch: n, Dir: d) : (Epoch: -1, Dir: d))
            .Where(e => e.Epoch >= 0).OrderByDescending(e => e.Epoch).ToList();
        if (epochs.Count == 0)
        {
            return new Entry(id, directory, null, null, null, 0, false, null, "holds no checkpoint epoch");
        }
        string problem = "";
        foreach (var (epoch, dir) in epochs)
        {
            long size = System.IO.Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length);
            var time = new DateTimeOffset(System.IO.Directory.GetLastWriteTimeUtc(dir), TimeSpan.Zero);
            string? why = CheckEpoch(dir, out int ranks);
            if (why is null)
            {
                return new Entry(id, directory, time, epoch, null, size, true, ranks, "");
            }
            problem = problem.Length == 0 ? $"epoch {epoch} {why}" : problem;
        }
        return new Entry(id, directory, null, epochs[0].Epoch, null, 0, false, null, problem);
    }

    /// <summary>Refuses, before launch, a restart the ranks could only fail: no complete epoch, or another rank count.</summary>
    public static void RequireRestartable(string directory, int ranks)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new MittenException($"no checkpoint directory {directory}");
        }
        Entry entry = Describe(directory);
        if (!entry.Complete)
        {
            throw new MittenException($"{directory} holds no complete checkpoint ({entry.Problem})");
        }
        if (entry.Ranks != ranks)
        {
            throw new MittenException($"checkpoint {directory} was written by {entry.Ranks} ranks; restart it with -n {entry.Ranks} (or leave -n out)");
        }
    }

    private static string? CheckEpoch(string dir, out int ranks)
    {
        ranks = 0;
        string manifest = Path.Combine(dir, "manifest");
        if (!File.Exists(manifest))
        {
            return "is incomplete (no manifest)";
        }
        string[] lines = File.ReadAllText(manifest).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 4 || lines[0] != ManifestMagic || !lines[2].StartsWith("ranks ", StringComparison.Ordinal)
            || !int.TryParse(lines[2].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out ranks) || ranks < 1 || lines.Length != ranks + 4)
        {
            return "has a malformed manifest";
        }
        for (int r = 0; r < ranks; r++)
        {
            string[] parts = lines[3 + r].Split(' ');
            string state = Path.Combine(dir, $"rank-{r.ToString(CultureInfo.InvariantCulture)}.state");
            if (parts.Length != 3 || parts[0] != "rank" || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            {
                return "has a malformed manifest";
            }
            if (!File.Exists(state) || new FileInfo(state).Length != size)
            {
                return $"lacks rank {r}'s state (or it has the wrong size)";
            }
        }
        return null;
    }
}
