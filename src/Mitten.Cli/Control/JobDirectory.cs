using System.Globalization;
using System.Security.Cryptography;

namespace Mitten.Runtime.Control;

/// <summary>
/// One job's control directory (docs/CONTROL.md): where each file lives, how it is created
/// (owner-only) and how a job is found from an id, a path or "the newest".
/// </summary>
internal sealed class JobDirectory
{
    /// <summary>Owner read/write/search: every directory the runtime creates.</summary>
    public const UnixFileMode DirectoryMode = AtomicFile.DirectoryMode;

    /// <summary>Owner read/write: every file the runtime writes.</summary>
    public const UnixFileMode FileMode = AtomicFile.FileMode;

    private JobDirectory(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }
    public string Id => System.IO.Path.GetFileName(Path);
    public string JobFile => Combine("job.json");
    public string RanksDirectory => Combine("ranks");
    public string RequestsDirectory => Combine("requests");
    public string MigrationsDirectory => Combine("migrations");
    public string CheckpointsDirectory => Combine("checkpoints");
    public string FailingDirectory => Combine("failing");
    public string EventsFile => Combine("events.jsonl");
    public string LocationsFile => Combine("locations.json");
    public string SchedulerLog => Combine("scheduler.jsonl");

    public string RankFile(int rank) => System.IO.Path.Combine(RanksDirectory, rank.ToString(CultureInfo.InvariantCulture) + ".json");
    public string RequestFile(string id) => System.IO.Path.Combine(RequestsDirectory, id + ".json");
    public string TakenRequestFile(string id) => System.IO.Path.Combine(RequestsDirectory, id + ".taken");
    public string MigrationFile(string id) => System.IO.Path.Combine(MigrationsDirectory, id + ".json");
    public string CheckpointFile(string id) => System.IO.Path.Combine(CheckpointsDirectory, id + ".json");

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// The folder holding job directories: the given root, else <c>$MITTEN_HOME/jobs</c>, else
    /// <c>$HOME/.mitten/jobs</c>.
    /// </summary>
    public static string JobsRoot(string? root)
    {
        if (!string.IsNullOrEmpty(root))
        {
            return System.IO.Path.GetFullPath(root);
        }
        string? home = Environment.GetEnvironmentVariable("MITTEN_HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mitten");
        }
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(home, "jobs"));
    }

    /// <summary>A fresh job id: <c>j&lt;yyyyMMdd-HHmmss&gt;-&lt;4 hex&gt;</c> (UTC).</summary>
    public static string NewJobId(DateTimeOffset now) =>
        "j" + now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" +
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));

    /// <summary>Creates a new job directory (0700) with its sub-folders under <paramref name="root"/>.</summary>
    public static JobDirectory Create(string root, DateTimeOffset now)
    {
        CreateOwnerOnlyDirectory(root, tightenExisting: false);
        for (int attempt = 0; ; attempt++)
        {
            string path = System.IO.Path.Combine(root, NewJobId(now));
            if (Directory.Exists(path))
            {
                if (attempt > 100)
                {
                    throw new MittenException($"cannot find a free job id under {root}");
                }
                continue;
            }
            var job = new JobDirectory(path);
            CreateOwnerOnlyDirectory(job.Path, tightenExisting: true);
            foreach (string sub in new[] { job.RanksDirectory, job.RequestsDirectory, job.MigrationsDirectory, job.CheckpointsDirectory, job.FailingDirectory })
            {
                CreateOwnerOnlyDirectory(sub, tightenExisting: true);
            }
            return job;
        }
    }

    /// <summary>Creates a directory with mode 0700 (and its missing parents).</summary>
    public static void CreateOwnerOnlyDirectory(string path, bool tightenExisting) => AtomicFile.CreateOwnerOnlyDirectory(path, tightenExisting);

    /// <summary>A job directory made by <see cref="Create"/> in another mitten process (<c>run --detach</c>).</summary>
    public static JobDirectory Adopt(string path)
    {
        var job = new JobDirectory(path);
        if (!Names.IsJobId(job.Id) || !Directory.Exists(job.RanksDirectory))
        {
            throw new MittenException($"{path} is not a new job directory");
        }
        return job;
    }

    /// <summary>Every job directory under the root (those with a job.json), oldest first.</summary>
    public static List<JobDirectory> All(string jobsRoot) =>
        !Directory.Exists(jobsRoot) ? []
        : Directory.EnumerateDirectories(jobsRoot)
            .Where(d => Names.IsJobId(System.IO.Path.GetFileName(d)) && File.Exists(System.IO.Path.Combine(d, ControlLayout.JobFile)))
            .Order(StringComparer.Ordinal).Select(d => new JobDirectory(d)).ToList();

    /// <summary>
    /// Finds a job: <paramref name="job"/> is a job id (looked up under the jobs root) or the
    /// path of a job directory; null means the newest job under the root.
    /// </summary>
    public static JobDirectory Find(string? job, string? root)
    {
        string jobsRoot = JobsRoot(root);
        if (string.IsNullOrEmpty(job))
        {
            return NewestRunning(jobsRoot) ?? Newest(jobsRoot) ?? throw new MittenException($"no jobs under {jobsRoot}");
        }
        string path;
        if (job.Contains('/'))
        {
            path = System.IO.Path.GetFullPath(job);
        }
        else if (Names.IsJobId(job))
        {
            path = System.IO.Path.Combine(jobsRoot, job);
        }
        else if (Names.IsRequestId(job))
        {
            // A name given with run --name: the newest job of that name.
            return All(jobsRoot).LastOrDefault(j => TryRead(j)?.Name == job)
                ?? throw new MittenException($"no job named {job} under {jobsRoot} (and it is not a job id j<yyyyMMdd-HHmmss>-<4 hex>)");
        }
        else
        {
            throw new MittenException($"'{Names.Printable(job)}' is not a job id (j<yyyyMMdd-HHmmss>-<4 hex>), a job name or a job directory path");
        }
        var found = new JobDirectory(path);
        if (!File.Exists(found.JobFile))
        {
            throw new MittenException(Directory.Exists(path)
                ? $"{path} is not a job directory (no job.json)"
                : $"unknown job {job} (no {path})");
        }
        return found;
    }

    /// <summary>The newest job whose mpiexec is still running, if any.</summary>
    public static JobDirectory? NewestRunning(string jobsRoot) =>
        All(jobsRoot).LastOrDefault(j => TryRead(j) is { IsRunning: true } info && (info.MpiexecPid is not int pid || Native.ProcessExists(pid)));

    /// <summary>The job's job.json, or null when it cannot be read.</summary>
    public static JobDocument? TryRead(JobDirectory job)
    {
        try
        {
            return ControlFiles.ReadJob(job);
        }
        catch (Exception e) when (e is MittenException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The job under <paramref name="jobsRoot"/> with the latest id (ids sort by start time).</summary>
    public static JobDirectory? Newest(string jobsRoot)
    {
        if (!Directory.Exists(jobsRoot))
        {
            return null;
        }
        string? newest = Directory.EnumerateDirectories(jobsRoot)
            .Where(d => Names.IsJobId(System.IO.Path.GetFileName(d)) && File.Exists(System.IO.Path.Combine(d, "job.json")))
            .OrderBy(d => System.IO.Path.GetFileName(d), StringComparer.Ordinal)
            .ThenBy(d => File.GetLastWriteTimeUtc(System.IO.Path.Combine(d, "job.json")))
            .LastOrDefault();
        return newest is null ? null : new JobDirectory(newest);
    }

    /// <summary>
    /// Refuses to control a job whose directory others can read or write: the directory's
    /// permissions are what make "only the owner controls the job" true.
    /// </summary>
    public void RequireOwnerOnly()
    {
        UnixFileMode mode = File.GetUnixFileMode(Path);
        UnixFileMode others = mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (others != 0)
        {
            throw new MittenException($"job directory {Path} is open to other users (mode {Octal(mode)}); refusing to control it (chmod 700 it)");
        }
        if (Native.OwnerOf(Path) is uint owner && owner != Native.EffectiveUserId)
        {
            throw new MittenException($"job directory {Path} belongs to user id {owner}, not to you");
        }
    }

    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);
}
