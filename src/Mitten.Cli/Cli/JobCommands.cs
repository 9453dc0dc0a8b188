using System.CommandLine;
using System.Globalization;
using System.Text;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Cli;

/// <summary><c>mitten jobs</c>, <c>cancel</c>, <c>checkpoints</c> and <c>clean</c>.</summary>
internal static partial class MittenCommand
{
    private static Command JobsCommand()
    {
        var command = new Command("jobs", "List the jobs: id, name, state, ranks, start, exit code, program");
        command.SetAction(p =>
        {
            string root = JobDirectory.JobsRoot(p.GetValue(JobsRoot));
            var b = new StringBuilder();
            b.AppendLine($"{"job",-22} {"name",-16} {"state",-9} {"ranks",5}  {"started",-20} {"exit",4}  program");
            foreach (JobDirectory job in JobDirectory.All(root))
            {
                JobDocument? info = JobDirectory.TryRead(job);
                if (info is null)
                {
                    b.AppendLine($"{job.Id,-22} {"-",-16} {"unreadable",-9}");
                    continue;
                }
                string started = info.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                b.AppendLine($"{job.Id,-22} {info.Name ?? "-",-16} {EffectiveState(info),-9} {info.Ranks,5}  {started,-20} {info.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-",4}  {Path.GetFileName(info.Program)} {string.Join(' ', info.Args)}".TrimEnd());
            }
            Console.Write(b.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>running, finished, or lost (job.json says running, its mpiexec is gone).</summary>
    private static string EffectiveState(JobDocument info) =>
        info.IsRunning && info.MpiexecPid is int pid && !Native.ProcessExists(pid) ? "lost" : info.State;

    private static Command CancelCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id, name or directory" };
        var timeout = TimeoutOption();
        timeout.DefaultValueFactory = _ => 60;
        var command = new Command("cancel", "Stop a running job: SIGTERM to its mpiexec (which ends the ranks), SIGKILL if it has not ended by the timeout") { job, timeout };
        command.SetAction(async (p, cancel) =>
        {
            TimeSpan wait = Timeout(p, timeout);
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobDocument info = JobOperations.RequireRunning(found);
            if (info.MpiexecPid is not int pid)
            {
                throw new MittenException($"job {found.Id} has not started mpiexec yet; try again");
            }
            if (!LocalMachine.BelongsToJob(pid, found))
            {
                throw new MittenException($"pid {pid} is not job {found.Id}'s mpiexec (not on this machine, or reused); not signalled");
            }
            Native.Signal(pid, Native.SIGTERM);
            DateTime giveUp = DateTime.UtcNow + wait;
            while (Native.ProcessExists(pid) && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(100, cancel);
            }
            if (Native.ProcessExists(pid))
            {
                Native.Signal(pid, Native.SIGKILL);
                Console.WriteLine($"cancelled: job {found.Id} (mpiexec pid {pid} killed after {wait.TotalSeconds:0.#} s)");
            }
            else
            {
                Console.WriteLine($"cancelled: job {found.Id}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CheckpointsCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id, name or directory" };
        var command = new Command("checkpoints", "List a job's checkpoints: id, time, epoch, superstep, size, complete or not") { job };
        command.SetAction(p =>
        {
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            var b = new StringBuilder();
            b.AppendLine($"{"checkpoint",-26} {"time",-20} {"epoch",5} {"superstep",10} {"size",10}  complete");
            foreach (CheckpointCatalog.Entry c in CheckpointCatalog.List(found))
            {
                string time = c.Time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
                string complete = c.Complete ? "yes" : "no (" + c.Problem + ")";
                b.AppendLine($"{c.Id,-26} {time,-20} {c.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "-",5} {c.Superstep?.ToString(CultureInfo.InvariantCulture) ?? "-",10} {Size(c.SizeBytes),10}  {complete}");
            }
            Console.Write(b.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1 << 30 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1073741824.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
    };

    private static Command CleanCommand()
    {
        var olderThan = new Option<double>("--older-than") { Description = "Remove ended jobs that finished more than D days ago (default 7; 0: every ended job)", DefaultValueFactory = _ => 7 };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only list what would be removed" };
        var command = new Command("clean", "Remove the directories of ended jobs (finished or lost), with their checkpoints; running jobs are never touched") { olderThan, dryRun };
        command.SetAction(p =>
        {
            double days = p.GetValue(olderThan);
            if (!(days >= 0 && days <= 36_500))
            {
                throw new MittenException($"--older-than must be between 0 and 36500 days (got {days.ToString(CultureInfo.InvariantCulture)})");
            }
            DateTimeOffset cutoff = DateTimeOffset.UtcNow - TimeSpan.FromDays(days);
            int removed = 0, kept = 0;
            foreach (JobDirectory job in JobDirectory.All(JobDirectory.JobsRoot(p.GetValue(JobsRoot))))
            {
                JobDocument? info = JobDirectory.TryRead(job);
                if (info is null || EffectiveState(info) == JobDocument.RunningState)
                {
                    kept++;
                    continue;
                }
                DateTimeOffset ended = info.Finished ?? new DateTimeOffset(File.GetLastWriteTimeUtc(job.JobFile), TimeSpan.Zero);
                if (ended > cutoff)
                {
                    kept++;
                    continue;
                }
                job.RequireOwnerOnly();
                if (!p.GetValue(dryRun))
                {
                    Directory.Delete(job.Path, recursive: true);
                }
                removed++;
                Console.WriteLine($"{(p.GetValue(dryRun) ? "would remove" : "removed")} {job.Id} ({EffectiveState(info)}, ended {ended.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)})");
            }
            Console.WriteLine($"{removed} job director{(removed == 1 ? "y" : "ies")} {(p.GetValue(dryRun) ? "to remove" : "removed")}, {kept} kept");
            return ExitCodes.Success;
        });
        return command;
    }
}
