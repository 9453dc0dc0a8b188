using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Mitten.Runtime.Control;

/// <summary>What happened to one migrate request.</summary>
internal sealed record MigrationResult(string RequestId, int Rank, string? To, MigrationOutcomeDocument? Outcome, string? Signal)
{
    public int ExitCode => Outcome?.Outcome switch
    {
        MigrationOutcome.Committed => ExitCodes.Success,
        MigrationOutcome.RolledBack => ExitCodes.RolledBack,
        _ => ExitCodes.Rejected,
    };

    /// <summary>One line: outcome, locations and phase times.</summary>
    public string Describe()
    {
        if (Outcome is null)
        {
            return $"migration {RequestId} of rank {Rank}: no outcome";
        }
        string phases = Outcome.PhasesMs is not { Count: > 0 } phasesMs ? ""
            : " [" + string.Join(", ", phasesMs.Select(p => $"{p.Key} {p.Value.ToString("0.#", CultureInfo.InvariantCulture)}")) + " ms]";
        return Outcome.Outcome switch
        {
            MigrationOutcome.Committed => $"committed: migration {RequestId} moved rank {Rank} from {Outcome.From} to {Outcome.To}{phases}",
            MigrationOutcome.RolledBack => $"rolled back: migration {RequestId} of rank {Rank}: {Outcome.Reason ?? "no reason given"}{phases}",
            _ => $"rejected: migration {RequestId} of rank {Rank}: {Outcome.Reason ?? "no reason given"}{phases}",
        };
    }
}

/// <summary>
/// The operator's side of requests (docs/CONTROL.md): validate, write <c>requests/&lt;id&gt;.json</c>,
/// signal the rank, wait for the job's outcome file. Used by the CLI and by the scheduler's policy.
/// </summary>
internal sealed class JobOperations(Action<string>? progress = null)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>The job's description, if it may be controlled now (owner-only, running, mpiexec alive).</summary>
    public static JobDocument RequireRunning(JobDirectory job)
    {
        job.RequireOwnerOnly();
        JobDocument info = ControlFiles.ReadJob(job);
        if (!info.IsRunning)
        {
            throw new MittenException($"job {job.Id} has finished (exit code {info.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
        }
        if (info.MpiexecPid is int pid && !Native.ProcessExists(pid))
        {
            throw new MittenException($"job {job.Id} is not running (its mpiexec, pid {pid}, is gone)");
        }
        return info;
    }

    /// <summary>Hosts the job is known to use: its host file's and those its ranks report.</summary>
    public static SortedSet<string> KnownHosts(JobDocument info, IEnumerable<RankStatus> reports)
    {
        var hosts = new SortedSet<string>(info.Hosts, StringComparer.OrdinalIgnoreCase);
        hosts.UnionWith(reports.Select(r => r.Host));
        return hosts;
    }

    /// <summary>Checks a migrate request before anything is written; returns the rank's last report.</summary>
    public static RankStatus ValidateMigrate(JobDirectory job, JobDocument info, int rank, string? to)
    {
        if (rank < 0 || rank >= info.Ranks)
        {
            throw new MittenException($"unknown rank {rank}: job {job.Id} has ranks 0..{info.Ranks - 1}");
        }
        var (reports, _) = ControlFiles.ReadRanks(job);
        if (to is not null)
        {
            if (!Names.IsHostName(to, out string why))
            {
                throw new MittenException($"'{Names.Printable(to)}' is not a valid host name ({why})");
            }
            if (info.Hosts.Length > 0)
            {
                SortedSet<string> known = KnownHosts(info, reports.Values);
                if (!known.Contains(to))
                {
                    throw new MittenException($"host {to} is not one of job {job.Id}'s hosts ({string.Join(", ", known)})");
                }
            }
        }
        if (!reports.TryGetValue(rank, out RankStatus? report))
        {
            throw new MittenException($"rank {rank} of job {job.Id} has not reported (no {job.RankFile(rank)}): is the program built with Mitten?");
        }
        if (report.IsFinished)
        {
            throw new MittenException($"rank {rank} of job {job.Id} has finished");
        }
        return report;
    }

    public async Task<MigrationResult> MigrateAsync(JobDirectory job, int rank, string? to, TimeSpan timeout, CancellationToken cancel)
    {
        JobDocument info = RequireRunning(job);
        RankStatus report = ValidateMigrate(job, info, rank, to);
        string id = Names.NewRequestId(Names.MigrationKind);
        ControlFiles.WriteRequest(job, new ControlRequest { Id = id, Kind = ControlRequest.MigrateKind, Rank = rank, To = to });
        string signal = SignalRank(job, report);
        progress?.Invoke($"request {id}: migrate rank {rank} ({report.Host}, pid {report.Pid}) to {to ?? "a host the job chooses"}; {signal}");
        string outcomeFile = job.MigrationFile(id);
        await WaitForAsync(job, id, outcomeFile, "migration", timeout, cancel);
        MigrationOutcomeDocument outcome = ControlFiles.ReadMigration(outcomeFile);
        if (outcome.Id != id || outcome.Rank != rank)
        {
            throw new MalformedControlFileException($"{outcomeFile}: names request {Names.Printable(outcome.Id)} rank {outcome.Rank}, expected {id} rank {rank}");
        }
        return new MigrationResult(id, rank, to, outcome, signal);
    }

    /// <summary>
    /// Moves every rank on <paramref name="host"/> to the job's other hosts, one at a time,
    /// round-robin over the targets; hosts marked failing are never targets.
    /// </summary>
    public async Task<List<MigrationResult>> DrainAsync(JobDirectory job, string host, TimeSpan timeout, Action<MigrationResult> each, CancellationToken cancel)
    {
        if (!Names.IsHostName(host, out string why))
        {
            throw new MittenException($"'{Names.Printable(host)}' is not a valid host name ({why})");
        }
        JobDocument info = RequireRunning(job);
        var (reports, _) = ControlFiles.ReadRanks(job);
        List<int> ranks = reports.Values.Where(r => !r.IsFinished && LocalMachine.SameMachine(r.Host, host))
            .Select(r => r.Rank).ToList();
        if (ranks.Count == 0)
        {
            throw new MittenException($"no running rank of job {job.Id} is on host {host}");
        }
        // A name of the same machine (an alias such as localhost, or the short form of a full
        // name) is not another host: a drain onto it would leave the ranks where they are.
        SortedSet<string> known = KnownHosts(info, reports.Values);
        List<string> aliases = known.Where(h => LocalMachine.SameMachine(h, host)).ToList();
        List<string> failing = known.Where(h => !aliases.Contains(h) && IsMarkedFailing(job, h)).ToList();
        List<string> targets = known.Where(h => !aliases.Contains(h) && !failing.Contains(h)).ToList();
        if (targets.Count == 0)
        {
            string because = string.Join("; ", new[]
            {
                aliases.Count(a => !string.Equals(a, host, StringComparison.OrdinalIgnoreCase)) == 0 ? ""
                    : $"{string.Join(", ", aliases.Where(a => !string.Equals(a, host, StringComparison.OrdinalIgnoreCase)))} {(aliases.Count > 2 ? "are" : "is")} the same machine as {host}",
                failing.Count == 0 ? "" : $"{string.Join(", ", failing)} marked failing",
            }.Where(w => w.Length > 0));
            throw new MittenException($"job {job.Id} has no other host to drain {host} onto (hosts: {string.Join(", ", known)}{(because.Length > 0 ? "; " + because : "")})");
        }
        progress?.Invoke($"draining {host}: ranks {string.Join(", ", ranks)} to {string.Join(", ", targets)}");
        var results = new List<MigrationResult>();
        int next = 0;
        foreach (int rank in ranks)
        {
            string target = targets[next++ % targets.Count];
            MigrationResult result;
            try
            {
                result = await MigrateAsync(job, rank, target, timeout, cancel);
            }
            catch (MittenException e) when (e is not MalformedControlFileException)
            {
                // One rank that cannot be moved (finished meanwhile, timed out) does not stop the drain,
                // but a finished job does.
                if (!ControlFiles.ReadJob(job).IsRunning)
                {
                    throw;
                }
                result = new MigrationResult("-", rank, target, null, e.Message);
            }
            results.Add(result);
            each(result);
        }
        return results;
    }

    /// <summary>True when <c>failing/</c> names <paramref name="host"/> or another name of the same machine.</summary>
    public static bool IsMarkedFailing(JobDirectory job, string host) =>
        Directory.Exists(job.FailingDirectory) &&
        Directory.EnumerateFileSystemEntries(job.FailingDirectory).Select(Path.GetFileName)
            .Any(name => name is not null && Names.IsHostName(name, out _) && LocalMachine.SameMachine(name, host));

    public async Task<(string Id, CheckpointOutcomeDocument Outcome)> CheckpointAsync(JobDirectory job, string? dir, TimeSpan timeout, CancellationToken cancel)
    {
        JobDocument info = RequireRunning(job);
        var (reports, _) = ControlFiles.ReadRanks(job);
        if (!reports.TryGetValue(0, out RankStatus? root) || root.IsFinished)
        {
            throw new MittenException($"rank 0 of job {job.Id} has not reported or has finished: is the program built with Mitten?");
        }
        string id = Names.NewRequestId(Names.CheckpointKind);
        string target = Path.GetFullPath(dir ?? Path.Combine(job.CheckpointsDirectory, id));
        if (!Names.IsAcceptablePath(target, out string why))
        {
            throw new MittenException($"checkpoint directory not acceptable: {why}");
        }
        ControlFiles.WriteRequest(job, new ControlRequest { Id = id, Kind = ControlRequest.CheckpointKind, Dir = target });
        string signal = SignalRank(job, root);
        progress?.Invoke($"request {id}: checkpoint to {target}; {signal}");
        string outcomeFile = job.CheckpointFile(id);
        await WaitForAsync(job, id, outcomeFile, "checkpoint", timeout, cancel);
        CheckpointOutcomeDocument outcome = ControlFiles.ReadCheckpoint(outcomeFile);
        if (outcome.Outcome == CheckpointOutcomeDocument.Written && Directory.Exists(outcome.Dir ?? target))
        {
            // Lets `mitten restart DIR` find the rank count and program without being told.
            ControlJson.WriteFile(Path.Combine(outcome.Dir ?? target, ControlLayout.CheckpointNote), info with { Checkpoint = id, Epoch = outcome.Epoch });
        }
        return (id, outcome);
    }

    /// <summary>
    /// Sends SIGUSR2 to the rank when it is a process of this job on this machine. A rank on
    /// another host is reached through the job's mpiexec, when that runs here: Open MPI forwards
    /// SIGUSR2 to every process of the job on every host (ess_base_forward_signals; every rank
    /// looks at requests/ and only the one it names acts). Otherwise the job's polling finds the request.
    /// </summary>
    public static string SignalRank(JobDirectory job, RankStatus report)
    {
        if (!LocalMachine.IsLocal(report.Host))
        {
            return SignalThroughMpiexec(job, report.Host);
        }
        if (!LocalMachine.BelongsToJob(report.Pid, job))
        {
            return $"not signalled (pid {report.Pid} is not a process of this job); the job polls requests/";
        }
        return Native.Signal(report.Pid, Native.SIGUSR2) ? $"SIGUSR2 sent to pid {report.Pid}" : $"SIGUSR2 to pid {report.Pid} failed; the job polls requests/";
    }

    private static string SignalThroughMpiexec(JobDirectory job, string host)
    {
        int? mpiexec;
        try
        {
            mpiexec = ControlFiles.ReadJob(job).MpiexecPid;
        }
        catch (MittenException)
        {
            mpiexec = null;
        }
        // mitten run gives mpiexec MITTEN_JOB_DIR, so the environment check also tells that this
        // pid is the job's mpiexec on this machine (not a process elsewhere that has its number).
        if (mpiexec is not int pid || !LocalMachine.BelongsToJob(pid, job))
        {
            return $"not signalled (rank is on {host} and the job's mpiexec is not on this machine); the job polls requests/";
        }
        // The signal reaches every process of the job, also a replacement still starting (it
        // registers its handler only once its program runs, and SIGUSR2's default action ends a
        // process). While a migration is under way (a rank reports migrating or synchronizing,
        // until the replacement reports itself running) the job is synchronizing anyway and
        // takes the request by polling once it resumes.
        var (reports, _) = ControlFiles.ReadRanks(job);
        if (reports.Values.FirstOrDefault(r => r.State is "migrating" or "synchronizing") is RankStatus busy)
        {
            return $"not signalled (rank is on {host}; a migration is under way: rank {busy.Rank} is {busy.State}, and a signal through mpiexec " +
                   "would also reach a replacement that is still starting); the job polls requests/";
        }
        return Native.Signal(pid, Native.SIGUSR2)
            ? $"SIGUSR2 sent to mpiexec pid {pid}, which forwards it to the ranks on every host (rank is on {host})"
            : $"SIGUSR2 to mpiexec pid {pid} failed; the job polls requests/";
    }

    private static async Task WaitForAsync(JobDirectory job, string id, string outcomeFile, string what, TimeSpan timeout, CancellationToken cancel)
    {
        DateTime giveUp = DateTime.UtcNow + timeout;
        DateTime nextJobCheck = DateTime.UtcNow.AddSeconds(1);
        while (!File.Exists(outcomeFile))
        {
            if (DateTime.UtcNow >= giveUp)
            {
                string state = Withdraw(job, id)
                    ? "the job never took the request; it was withdrawn"
                    : "the job took the request and may still finish it; see mitten status";
                throw new MittenException($"timed out after {timeout.TotalSeconds:0.#} s waiting for the outcome of {what} {id} ({state})", ExitCodes.TimedOut);
            }
            if (DateTime.UtcNow >= nextJobCheck)
            {
                nextJobCheck = DateTime.UtcNow.AddSeconds(1);
                JobDocument info = ControlFiles.ReadJob(job);
                bool ended = !info.IsRunning || (info.MpiexecPid is int pid && !Native.ProcessExists(pid));
                if (ended && !File.Exists(outcomeFile))
                {
                    bool withdrawn = Withdraw(job, id);
                    throw new MittenException(withdrawn
                        ? $"job {job.Id} finished before it took {what} request {id}"
                        : $"job {job.Id} finished during {what} {id} without writing an outcome");
                }
            }
            await Task.Delay(Poll, cancel);
        }
    }

    /// <summary>Takes a request back unless the job claimed it already (the rename decides who wins).</summary>
    private static bool Withdraw(JobDirectory job, string id)
    {
        string request = job.RequestFile(id);
        string withdrawn = Path.Combine(job.RequestsDirectory, id + ".withdrawn");
        try
        {
            File.Move(request, withdrawn);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
