using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Mitten.Runtime.Control;
using Mitten.Runtime.Launch;
using Mitten.Runtime.Scheduling;

namespace Mitten.Runtime.Cli;

/// <summary>
/// <c>mitten run</c> and <c>mitten restart</c>: a Generic Host holding two hosted services for
/// the job's lifetime: the job's scheduler and the mpiexec process.
/// </summary>
internal static class JobHost
{
    public static async Task<int> RunAsync(string? jobsRoot, int ranks, string? hostFilePath, string program, IReadOnlyList<string> arguments,
        string? restartDir, CancellationToken cancel)
    {
        if (ranks < 1)
        {
            throw new MittenException($"-n must be at least 1 (got {ranks})");
        }
        HostFile? hostFile = hostFilePath is null ? null : HostFile.Read(hostFilePath);
        string resolvedProgram = program.Contains('/') ? Path.GetFullPath(program) : program;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        JobDirectory job = JobDirectory.Create(JobDirectory.JobsRoot(jobsRoot), now);
        var info = new JobInfoHolder(new JobInfo(job.Id, ranks, resolvedProgram, [.. arguments], [.. hostFile?.Hosts ?? []], now,
            null, JobInfo.RunningState, null, restartDir));
        info.Update(job, i => i);
        Console.Error.WriteLine($"job: {job.Id}");
        Console.Error.Flush();

        LaunchPlan plan = LaunchPlan.For(job, ranks, hostFile, resolvedProgram, arguments, restartDir);
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
        builder.Services.AddSingleton<MpiexecService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MpiexecService>());

        using IHost host = builder.Build();
        MpiexecService mpiexec = host.Services.GetRequiredService<MpiexecService>();
        await host.StartAsync(cancel);
        await host.WaitForShutdownAsync(cancel);
        return mpiexec.ExitCode;
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
