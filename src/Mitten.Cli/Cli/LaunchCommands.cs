using System.CommandLine;
using System.Globalization;
using Mitten.Runtime.Control;
using Mitten.Runtime.Launch;

namespace Mitten.Runtime.Cli;

/// <summary><c>mitten run</c> and <c>mitten restart</c>.</summary>
internal static partial class MittenCommand
{
    private static Command RunCommand()
    {
        var ranks = new Option<int>("--ranks", "-n") { Description = "Number of ranks", Required = true };
        var hostFile = new Option<string?>("--host-file") { Description = "Open MPI host file (passed as --hostfile)" };
        var name = new Option<string?>("--name") { Description = "A name for the job; other commands accept it in place of the job id" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Return once the job runs; its output goes to <job dir>/output.log" };
        var every = new Option<double?>("--checkpoint-every") { Description = "Checkpoint every S seconds (coordinated, through rank 0)" };
        var maxRestarts = new Option<int>("--max-restarts") { Description = "After a failure, restart from the newest complete checkpoint, up to N times", DefaultValueFactory = _ => 0 };
        var spares = new Option<int>("--spares") { Description = "Start K warm spare processes with the job: a migration to a host with a free spare needs no spawn (MITTEN_SPARES)", DefaultValueFactory = _ => 0 };
        var spareHosts = new Option<string?>("--spare-hosts") { Description = "Comma-separated hosts for the spares, used in turn (default: the ranks' hosts; MITTEN_SPARE_HOSTS)" };
        var jobDir = new Option<string?>("--into-job-dir") { Hidden = true }; // run --detach: the directory the parent made
        var program = new Argument<string[]>("program") { Description = "The program and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var command = new Command("run", "Launch a job under mpiexec with a control directory; prints 'job: <id>' on stderr, exits with the program's exit code")
        {
            ranks, hostFile, name, detach, every, maxRestarts, spares, spareHosts, jobDir, program,
        };
        command.SetAction((p, cancel) =>
        {
            string[] words = p.GetValue(program)!;
            double? seconds = p.GetValue(every);
            if (seconds is double s && !(s >= 1 && s <= 604_800))
            {
                throw new MittenException($"--checkpoint-every must be at least 1 and at most 604800 seconds (got {s.ToString(CultureInfo.InvariantCulture)})");
            }
            if (p.GetValue(maxRestarts) is < 0 or > 1000)
            {
                throw new MittenException($"--max-restarts must be between 0 and 1000 (got {p.GetValue(maxRestarts)})");
            }
            SetSpares(p.GetValue(spares), p.GetValue(spareHosts));
            var request = new LaunchRequest(p.GetValue(ranks), p.GetValue(hostFile), words[0], words[1..], null, p.GetValue(name),
                seconds is double interval ? TimeSpan.FromSeconds(interval) : null, p.GetValue(maxRestarts), p.GetValue(jobDir));
            return p.GetValue(detach) ? Detached.LaunchAsync(p.GetValue(JobsRoot), request, cancel) : JobHost.RunAsync(p.GetValue(JobsRoot), request, cancel);
        });
        return command;
    }

    /// <summary>
    /// --spares and --spare-hosts become MITTEN_SPARES and MITTEN_SPARE_HOSTS in this process's
    /// environment, which the launch plan exports to the ranks (and a detached run inherits).
    /// </summary>
    private static void SetSpares(int count, string? hosts)
    {
        if (count is < 0 or > 64)
        {
            throw new MittenException($"--spares must be between 0 and 64 (got {count})");
        }
        if (hosts is not null)
        {
            foreach (string host in hosts.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Names.IsHostName(host, out string why))
                {
                    throw new MittenException($"--spare-hosts: '{Names.Printable(host)}' is not a host name ({why})");
                }
            }
            if (count == 0)
            {
                throw new MittenException("--spare-hosts needs --spares K (K > 0)");
            }
            Environment.SetEnvironmentVariable(LaunchPlan.SpareHostsVariable, hosts);
        }
        if (count > 0)
        {
            Environment.SetEnvironmentVariable(LaunchPlan.SparesVariable, count.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static Command RestartCommand()
    {
        var from = new Argument<string>("target") { Description = "A job (id, name or directory: its newest complete checkpoint) or a checkpoint directory" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "With a job: this checkpoint (request id or directory) instead of the newest complete one" };
        var ranks = new Option<int?>("--ranks", "-n") { Description = "Number of ranks (must be the checkpoint's; default: the checkpoint's)" };
        var hostFile = new Option<string?>("--host-file") { Description = "Open MPI host file (passed as --hostfile)" };
        var name = new Option<string?>("--name") { Description = "A name for the new job" };
        var program = new Argument<string[]>("program") { Description = "The program and its arguments, after -- (default: the checkpointed job's)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("restart", "Start a job again from a checkpoint: like run, with MITTEN_RESTART_DIR=DIR in the ranks' environment")
        {
            from, checkpoint, ranks, hostFile, name, program,
        };
        command.SetAction((p, cancel) =>
        {
            var (directory, before) = RestartSource(p.GetValue(from)!, p.GetValue(checkpoint), p.GetValue(JobsRoot));
            if (!Names.IsAcceptablePath(directory, out string why))
            {
                throw new MittenException($"checkpoint directory not acceptable: {why}");
            }
            string[] words = p.GetValue(program) ?? [];
            if (words.Length == 0)
            {
                words = before is null ? throw new MittenException($"give the program after --: {directory} has no mitten-job.json to take it from")
                    : [before.Program, .. before.Args];
            }
            int? known = before?.Ranks ?? CheckpointCatalog.Describe(directory).Ranks;
            int n = p.GetValue(ranks) ?? known ?? throw new MittenException($"give -n: {directory} has no mitten-job.json to take the rank count from");
            var request = new LaunchRequest(n, p.GetValue(hostFile), words[0], words[1..], directory, p.GetValue(name));
            return JobHost.RunAsync(p.GetValue(JobsRoot), request, cancel);
        });
        return command;
    }

    /// <summary>
    /// The checkpoint directory to restart from, and the job it came from: a checkpoint
    /// directory as given, or a job's checkpoint (the newest complete one unless named).
    /// </summary>
    private static (string Directory, JobDocument? Before) RestartSource(string target, string? checkpoint, string? jobsRoot)
    {
        string asPath = Path.GetFullPath(target);
        bool isJob = File.Exists(Path.Combine(asPath, ControlLayout.JobFile)) || (!target.Contains('/') && !Directory.Exists(asPath));
        if (!isJob)
        {
            if (checkpoint is not null)
            {
                throw new MittenException("--checkpoint goes with a job, not with a checkpoint directory");
            }
            if (!Directory.Exists(asPath))
            {
                throw new MittenException($"no checkpoint directory {asPath}");
            }
            return (asPath, ControlFiles.ReadCheckpointNote(asPath));
        }
        JobDirectory job = JobDirectory.Find(target, jobsRoot);
        JobDocument info = ControlFiles.ReadJob(job);
        List<CheckpointCatalog.Entry> all = CheckpointCatalog.List(job);
        CheckpointCatalog.Entry chosen;
        if (checkpoint is null)
        {
            chosen = all.LastOrDefault(c => c.Complete)
                ?? throw new MittenException($"job {job.Id} has no complete checkpoint ({all.Count} in all; see mitten checkpoints {job.Id})");
        }
        else
        {
            chosen = all.FirstOrDefault(c => c.Id == checkpoint || c.Directory == Path.GetFullPath(checkpoint))
                ?? throw new MittenException($"job {job.Id} has no checkpoint {Names.Printable(checkpoint)} (see mitten checkpoints {job.Id})");
            if (!chosen.Complete)
            {
                throw new MittenException($"checkpoint {chosen.Id} of job {job.Id} is not complete ({chosen.Problem})");
            }
        }
        return (chosen.Directory, ControlFiles.ReadCheckpointNote(chosen.Directory) ?? info);
    }
}
