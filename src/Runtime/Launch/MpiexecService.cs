using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Launch;

/// <summary>
/// Runs the job's mpiexec as a hosted service: starts it, records its pid and its end in
/// job.json, and stops the host (and so the scheduler) when it exits. The program's standard
/// streams are inherited, not piped, so the job keeps its output even if mitten dies.
/// </summary>
internal sealed class MpiexecService(
    JobDirectory job, JobInfoHolder info, LaunchPlan plan, IHostApplicationLifetime lifetime, ILogger<MpiexecService> log) : IHostedService
{
    private Process? process;
    private Task? waiter;

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
            info.Update(job, i => i with { State = JobInfo.FinishedState, ExitCode = ExitCodes.CannotLaunch, Finished = DateTimeOffset.UtcNow });
            Console.Error.WriteLine($"mitten: cannot start {plan.Mpiexec}: {e.Message}");
            lifetime.StopApplication();
            return Task.CompletedTask;
        }
        info.Update(job, i => i with { MpiexecPid = process.Id });
        log.LogInformation("Job {Job}: mpiexec pid {Pid}: {Command}", job.Id, process.Id, plan.Mpiexec + " " + string.Join(' ', plan.Arguments));
        waiter = WaitAsync(process);
        return Task.CompletedTask;
    }

    private async Task WaitAsync(Process p)
    {
        await p.WaitForExitAsync();
        ExitCode = p.ExitCode;
        info.Update(job, i => i with { State = JobInfo.FinishedState, ExitCode = p.ExitCode, Finished = DateTimeOffset.UtcNow });
        log.LogInformation("Job {Job}: mpiexec exited with {ExitCode}", job.Id, p.ExitCode);
        lifetime.StopApplication();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
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
internal sealed class JobInfoHolder(JobInfo initial)
{
    private readonly Lock gate = new();
    private JobInfo current = initial;

    public JobInfo Current
    {
        get
        {
            lock (gate)
            {
                return current;
            }
        }
    }

    public void Update(JobDirectory job, Func<JobInfo, JobInfo> change)
    {
        lock (gate)
        {
            current = change(current);
            current.Write(job);
        }
    }
}
