using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;
using Mitten.Runtime.Scheduling;

namespace Mitten.Runtime.Launch;

/// <summary>
/// Runs the job's mpiexec as a hosted service: starts it, records its pid and its end in
/// job.json, and stops the host (and so the scheduler) when it exits. The program's standard
/// streams are inherited, not piped, so the job keeps its output even if mitten dies.
/// </summary>
internal sealed class MpiexecService(
    JobDirectory job, JobInfoHolder info, LaunchPlan plan, StuckJobSettings stuck, SchedulerJournal journal,
    IHostApplicationLifetime lifetime, ILogger<MpiexecService> log) : IHostedService
{
    private readonly CancellationTokenSource watchdogStop = new();
    private Process? process;
    private Task? waiter;
    private Task? watchdog;

    /// <summary>mpiexec's exit code once it ended; 127 when it could not be started.</summary>
    public int ExitCode { get; private set; } = ExitCodes.CannotLaunch;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(plan.Mpiexec) { UseShellExecute = false };
        foreach (string a in plan.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in plan.Environment)
        {
            psi.Environment[k] = v;
        }
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            info.Update(job, i => i with { State = JobDocument.FinishedState, ExitCode = ExitCodes.CannotLaunch, Finished = DateTimeOffset.UtcNow });
            Console.Error.WriteLine($"mitten: cannot start {plan.Mpiexec}: {e.Message}");
            lifetime.StopApplication();
            return Task.CompletedTask;
        }
        info.Update(job, i => i with { MpiexecPid = process.Id });
        log.LogInformation("Job {Job}: mpiexec pid {Pid}: {Command}", job.Id, process.Id, plan.Mpiexec + " " + string.Join(' ', plan.Arguments));
        waiter = WaitAsync(process);
        watchdog = WatchForStuckMpiexecAsync(process, watchdogStop.Token);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Open MPI 4.1's mpiexec never exits after a failed MPI_Comm_spawn, even once every rank
    /// has ended. When every rank of the job reported "finished" (and each rank process on this
    /// machine is gone), yet mpiexec is still running after the grace period, it is stopped
    /// (SIGTERM, SIGKILL 10 s later), logged and journaled. A job with a rank that has not
    /// finished, or a local rank process still alive, is never touched.
    /// </summary>
    private async Task WatchForStuckMpiexecAsync(Process p, CancellationToken cancel)
    {
        DateTime? allEnded = null;
        try
        {
            while (!p.HasExited)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancel);
                bool failed = JobDeclaredFailed();
                if (!failed && !RanksAllEnded())
                {
                    allEnded = null;
                    continue;
                }
                allEnded ??= DateTime.UtcNow;
                if (DateTime.UtcNow - allEnded < stuck.Grace || p.HasExited)
                {
                    continue;
                }
                string reason = failed
                    ? $"the job ended itself (a job_failed event: it called MPI_Abort) {stuck.Grace.TotalSeconds:0.#} s ago but mpiexec (pid {p.Id}) is still running " +
                      "(its abort may wait for an unreachable host's daemon); stopping it"
                    : $"every rank finished {stuck.Grace.TotalSeconds:0.#} s ago but mpiexec (pid {p.Id}) is still running " +
                      "(Open MPI 4.1 does this after a failed spawn); stopping it";
                log.LogWarning("Job {Job}: {Reason}", job.Id, reason);
                journal.Record("mpiexec_stopped", new System.Text.Json.Nodes.JsonObject { ["pid"] = p.Id, ["reason"] = reason });
                StoppedStuck = true;
                Native.Signal(p.Id, Native.SIGTERM);
                await Task.Delay(TimeSpan.FromSeconds(10), cancel);
                if (!p.HasExited)
                {
                    Native.Signal(p.Id, Native.SIGKILL);
                }
                return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>True when mpiexec was stopped by the watchdog after every rank had ended.</summary>
    public bool StoppedStuck { get; private set; }

    /// <summary>
    /// The job appended a <c>job_failed</c> event: a rank ended the whole job with MPI_Abort (a
    /// migration step that could not finish in time, with no way back). mpiexec should then end
    /// at once; when it cannot reach a host's daemon it may not.
    /// </summary>
    private bool JobDeclaredFailed()
    {
        try
        {
            return File.Exists(job.EventsFile) && File.ReadAllText(job.EventsFile).Contains("\"event\":\"job_failed\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MittenException)
        {
            return false;
        }
    }

    /// <summary>
    /// Every rank reported "finished" (written after the job's final barrier, when nothing is
    /// left but leaving) and, for a rank on this machine, its process is gone. A rank on another
    /// host cannot be looked at from here; its finished report is taken as its end, and the grace
    /// period covers its exit.
    /// </summary>
    private bool RanksAllEnded()
    {
        var (reports, _) = ControlFiles.ReadRanks(job);
        int ranks = info.Current.Ranks;
        return reports.Count == ranks && reports.Values.All(r =>
            r.Rank < ranks && r.IsFinished && (!LocalMachine.IsLocal(r.Host) || !Native.ProcessExists(r.Pid)));
    }

    private async Task WaitAsync(Process p)
    {
        await p.WaitForExitAsync();
        // Also when the watchdog stopped it: the ranks' own exit codes are not known then, so
        // mpiexec's code (non-zero after the signal) is passed on rather than a guess.
        ExitCode = p.ExitCode;
        info.Update(job, i => i with { State = JobDocument.FinishedState, ExitCode = ExitCode, Finished = DateTimeOffset.UtcNow });
        log.LogInformation("Job {Job}: mpiexec exited with {ExitCode}{Stopped}", job.Id, p.ExitCode, StoppedStuck ? " after the watchdog stopped it" : "");
        lifetime.StopApplication();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        watchdogStop.Cancel();
        if (watchdog is not null)
        {
            await watchdog;
        }
        if (process is null || waiter is null)
        {
            return;
        }
        if (!process.HasExited)
        {
            // mitten was asked to stop (SIGTERM/SIGINT): pass it on; mpiexec stops the ranks.
            log.LogWarning("Job {Job}: stopping mpiexec (pid {Pid})", job.Id, process.Id);
            Native.Signal(process.Id, Native.SIGTERM);
            try
            {
                await waiter.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Native.Signal(process.Id, Native.SIGKILL);
            }
        }
        await waiter;
    }
}

/// <summary>The job's job.json contents, updated in one place so writes never interleave.</summary>
internal sealed class JobInfoHolder(JobDocument initial)
{
    private readonly Lock gate = new();
    private JobDocument current = initial;

    public JobDocument Current
    {
        get
        {
            lock (gate)
            {
                return current;
            }
        }
    }

    public void Update(JobDirectory job, Func<JobDocument, JobDocument> change)
    {
        lock (gate)
        {
            current = change(current);
            ControlFiles.WriteJob(job, current);
        }
    }
}

/// <summary>How long mpiexec may outlive every rank of the job before it is stopped (MITTEN_STUCK_SECONDS, default 30).</summary>
internal sealed record StuckJobSettings(TimeSpan Grace);
