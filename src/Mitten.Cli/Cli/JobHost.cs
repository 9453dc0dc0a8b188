using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Mitten.Runtime.Control;
using Mitten.Runtime.Launch;
using Mitten.Runtime.Scheduling;

namespace Mitten.Runtime.Cli;

/// <summary>What <c>mitten run</c> / <c>mitten restart</c> were asked to launch.</summary>
internal sealed record LaunchRequest(
    int Ranks, string? HostFilePath, string Program, IReadOnlyList<string> Arguments, string? RestartDir,
    string? Name = null, TimeSpan? CheckpointEvery = null, int MaxRestarts = 0, string? ExistingJobDirectory = null);

/// <summary>
/// <c>mitten run</c> and <c>mitten restart</c>: a Generic Host holding the job's hosted
/// services for its lifetime: the scheduler, the periodic checkpoints and the mpiexec process.
/// With <c>--max-restarts</c>, a failed job is started again from its newest complete checkpoint.
/// </summary>
internal static class JobHost
{
    /// <summary>
    /// Everything that can be refused before anything is launched: rank count, host file,
    /// program, checkpoint. Returns the resolved program path and the host file.
    /// </summary>
    public static (string Program, HostFile? HostFile) Validate(LaunchRequest request)
    {
        if (request.Ranks < 1)
        {
            throw new MittenException($"-n must be at least 1 (got {request.Ranks})");
        }
        if (request.RestartDir is not null)
        {
            CheckpointCatalog.RequireRestartable(request.RestartDir, request.Ranks);
        }
        HostFile? hostFile = request.HostFilePath is null ? null : HostFile.Read(request.HostFilePath);
        bool localOnly = hostFile is null || hostFile.Hosts.All(LocalMachine.IsLocal);
        string program = ProgramLocator.Resolve(request.Program, mustExistHere: localOnly);
        if (request.Name is not null && !Names.IsRequestId(request.Name))
        {
            throw new MittenException($"--name '{Names.Printable(request.Name)}' must be letters, digits, '-' and '_' (at most 64, starting with a letter or digit)");
        }
        return (program, hostFile);
    }

    public static async Task<int> RunAsync(string? jobsRoot, LaunchRequest request, CancellationToken cancel)
    {
        int restarts = 0;
        while (true)
        {
            var (exitCode, job) = await RunOnceAsync(jobsRoot, request, cancel);
            if (exitCode == 0 || restarts >= request.MaxRestarts || cancel.IsCancellationRequested)
            {
                return exitCode;
            }
            CheckpointCatalog.Entry? newest = CheckpointCatalog.List(job).LastOrDefault(c => c.Complete)
                ?? (request.RestartDir is null ? null : CheckpointCatalog.Describe(request.RestartDir));
            if (newest is not { Complete: true })
            {
                Console.Error.WriteLine($"mitten: job {job.Id} failed (exit code {exitCode}) and has no complete checkpoint to restart from");
                return exitCode;
            }
            restarts++;
            Console.Error.WriteLine($"mitten: job {job.Id} failed (exit code {exitCode}); restarting from checkpoint {newest.Id} (restart {restarts} of {request.MaxRestarts})");
            request = request with { RestartDir = newest.Directory, ExistingJobDirectory = null };
        }
    }

    private static async Task<(int ExitCode, JobDirectory Job)> RunOnceAsync(string? jobsRoot, LaunchRequest request, CancellationToken cancel)
    {
        var (resolvedProgram, hostFile) = Validate(request);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        JobDirectory job = request.ExistingJobDirectory is string existing ? JobDirectory.Adopt(existing) : JobDirectory.Create(JobDirectory.JobsRoot(jobsRoot), now);
        var info = new JobInfoHolder(new JobDocument
        {
            Id = job.Id, Ranks = request.Ranks, Program = resolvedProgram, Args = [.. request.Arguments], Hosts = [.. hostFile?.Hosts ?? []], Started = now,
            State = JobDocument.RunningState, RestartDir = request.RestartDir, Name = request.Name,
        });
        info.Update(job, i => i);
        Console.Error.WriteLine($"job: {job.Id}");
        Console.Error.Flush();

        LaunchPlan plan = LaunchPlan.For(job, request.Ranks, hostFile, resolvedProgram, request.Arguments, request.RestartDir);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true, ApplicationName = "mitten", ContentRootPath = job.Path, Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.IncludeScopes = false;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is the program's
        builder.Logging.SetMinimumLevel(LogLevelFromEnvironment());
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore; // a scheduler failure never stops the job
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddSingleton(job);
        builder.Services.AddSingleton(info);
        builder.Services.AddSingleton(plan);
        builder.Services.AddSingleton(new SchedulerSettings(SchedulerMigrationTimeout(), TimeSpan.FromMilliseconds(200)));
        builder.Services.AddSingleton<SchedulerJournal>();
        builder.Services.AddSingleton(new StuckJobSettings(StuckGrace()));
        builder.Services.AddSingleton<IMigrationPolicy, DrainFailingHostPolicy>();
        // Registration order = start order; they stop in reverse: mpiexec first, then the scheduler's last scan.
        builder.Services.AddHostedService<JobScheduler>();
        if (request.CheckpointEvery is TimeSpan every)
        {
            builder.Services.AddSingleton(new PeriodicCheckpointSettings(every));
            builder.Services.AddHostedService<PeriodicCheckpointService>();
        }
        builder.Services.AddSingleton<MpiexecService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MpiexecService>());

        using IHost host = builder.Build();
        MpiexecService mpiexec = host.Services.GetRequiredService<MpiexecService>();
        await host.StartAsync(cancel);
        await host.WaitForShutdownAsync(cancel);
        return (mpiexec.ExitCode, job);
    }

    private static LogLevel LogLevelFromEnvironment() =>
        Enum.TryParse(Environment.GetEnvironmentVariable("MITTEN_LOG_LEVEL"), ignoreCase: true, out LogLevel level) ? level : LogLevel.Information;

    private static TimeSpan StuckGrace() =>
        double.TryParse(Environment.GetEnvironmentVariable("MITTEN_STUCK_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(30);

    private static TimeSpan SchedulerMigrationTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable("MITTEN_MIGRATION_TIMEOUT"), System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(120);
}
