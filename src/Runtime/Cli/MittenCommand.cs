using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Cli;

/// <summary>The command line: <c>mitten run|restart|status|migrate|drain|checkpoint</c>.</summary>
internal static class MittenCommand
{
    private static readonly Option<string?> JobsRoot = new("--job-dir-root")
    {
        Description = "Folder holding job directories (default $MITTEN_HOME/jobs, else ~/.mitten/jobs)",
        Recursive = true,
    };

    private static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Also tell on stderr what is being done (request written, signal sent or not)",
    };

    private static JobOperations Operations(ParseResult p) =>
        new(p.GetValue(Verbose) ? m => Console.Error.WriteLine($"mitten: {m}") : null);

    public static async Task<int> RunAsync(string[] args)
    {
        RootCommand root = Build();
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command == root ? "mitten" : "mitten " + parsed.CommandResult.Command.Name;
            Console.Error.WriteLine($"mitten: {parsed.Errors[0].Message} (see '{command} --help')");
            return ExitCodes.Error;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (MittenException e)
        {
            Console.Error.WriteLine($"mitten: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"mitten: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private static RootCommand Build()
    {
        var root = new RootCommand("Launch MPI jobs that can migrate ranks, and control them from outside.");
        root.Options.Add(JobsRoot);
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(RestartCommand());
        root.Subcommands.Add(StatusCommand());
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(DrainCommand());
        root.Subcommands.Add(CheckpointCommand());
        return root;
    }

    private static Command RunCommand()
    {
        var ranks = new Option<int>("--ranks", "-n") { Description = "Number of ranks", Required = true };
        var hostFile = new Option<string?>("--host-file") { Description = "Open MPI host file (passed as --hostfile)" };
        var program = new Argument<string[]>("program") { Description = "The program and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var command = new Command("run", "Launch a job under mpiexec with a control directory; prints 'job: <id>' on stderr, exits with the program's exit code")
        {
            ranks, hostFile, program,
        };
        command.SetAction((p, cancel) =>
        {
            string[] words = p.GetValue(program)!;
            return JobHost.RunAsync(p.GetValue(JobsRoot), p.GetValue(ranks), p.GetValue(hostFile), words[0], words[1..], null, cancel);
        });
        return command;
    }

    private static Command RestartCommand()
    {
        var dir = new Argument<string>("dir") { Description = "Checkpoint directory (written by 'mitten checkpoint')" };
        var ranks = new Option<int?>("--ranks", "-n") { Description = "Number of ranks (default: the checkpointed job's)" };
        var hostFile = new Option<string?>("--host-file") { Description = "Open MPI host file (passed as --hostfile)" };
        var program = new Argument<string[]>("program") { Description = "The program and its arguments, after -- (default: the checkpointed job's)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("restart", "Start a job again from a checkpoint: like run, with MITTEN_RESTART_DIR=DIR in the ranks' environment")
        {
            dir, ranks, hostFile, program,
        };
        command.SetAction((p, cancel) =>
        {
            string checkpoint = Path.GetFullPath(p.GetValue(dir)!);
            if (!Directory.Exists(checkpoint))
            {
                throw new MittenException($"no checkpoint directory {checkpoint}");
            }
            if (!Names.IsAcceptablePath(checkpoint, out string why))
            {
                throw new MittenException($"checkpoint directory not acceptable: {why}");
            }
            JobInfo? before = ReadCheckpointNote(checkpoint);
            string[] words = p.GetValue(program) ?? [];
            if (words.Length == 0)
            {
                words = before is null ? throw new MittenException($"give the program after --: {checkpoint} has no mitten-job.json to take it from")
                    : [before.Program, .. before.Args];
            }
            int n = p.GetValue(ranks) ?? before?.Ranks ?? throw new MittenException($"give -n: {checkpoint} has no mitten-job.json to take the rank count from");
            return JobHost.RunAsync(p.GetValue(JobsRoot), n, p.GetValue(hostFile), words[0], words[1..], checkpoint, cancel);
        });
        return command;
    }

    private static JobInfo? ReadCheckpointNote(string checkpoint)
    {
        string note = Path.Combine(checkpoint, "mitten-job.json");
        if (!File.Exists(note))
        {
            return null;
        }
        JsonObject o = Json.ReadObjectFile(note);
        return new JobInfo(Json.String(o, "id", note), (int)Json.Integer(o, "ranks", note), Json.String(o, "program", note),
            Json.StringArray(o, "args", note), Json.StringArray(o, "hosts", note), DateTimeOffset.UtcNow, null, JobInfo.FinishedState, null);
    }

    private static Command StatusCommand()
    {
        var job = new Argument<string?>("job") { Description = "Job id or job directory (default: the newest job)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("status", "Show each rank (host, pid, superstep, state) and the migrations, from the job directory") { job, json };
        command.SetAction(p =>
        {
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            StatusReport report = StatusReport.Read(found);
            if (p.GetValue(json))
            {
                Console.WriteLine(report.ToJson().ToJsonString(Json.Indented));
            }
            else
            {
                Console.Write(report.ToText());
                foreach (string problem in report.Problems)
                {
                    Console.Error.WriteLine($"mitten: warning: {problem}");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds to wait for the job's answer",
        DefaultValueFactory = _ => 120,
    };

    private static TimeSpan Timeout(ParseResult p, Option<double> option)
    {
        double seconds = p.GetValue(option);
        if (!(seconds > 0 && seconds <= 86_400))
        {
            throw new MittenException($"--timeout must be between 0 and 86400 seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static Command MigrateCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id or job directory" };
        var rank = new Option<int>("--rank", "-r") { Description = "Rank to migrate", Required = true };
        var to = new Option<string?>("--to") { Description = "Destination host (default: the job chooses)" };
        var timeout = TimeoutOption();
        var command = new Command("migrate", "Ask a running job to migrate one rank; waits for the commit or the rollback") { job, rank, to, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobOperations operations = Operations(p);
            MigrationResult result = await operations.MigrateAsync(found, p.GetValue(rank), p.GetValue(to), Timeout(p, timeout), cancel);
            Report(result);
            return result.ExitCode;
        });
        return command;
    }

    private static void Report(MigrationResult result)
    {
        if (result.Outcome?.Outcome == "committed")
        {
            Console.WriteLine(result.Describe());
        }
        else if (result.Outcome is null)
        {
            Console.Error.WriteLine($"mitten: rank {result.Rank}: {result.Signal}");
        }
        else
        {
            Console.Error.WriteLine($"mitten: {result.Describe()}");
        }
    }

    private static Command DrainCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id or job directory" };
        var host = new Option<string>("--host") { Description = "Host to move every rank off", Required = true };
        var timeout = TimeoutOption();
        var command = new Command("drain", "Migrate every rank on a host to the job's other hosts, one at a time") { job, host, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobOperations operations = Operations(p);
            List<MigrationResult> results = await operations.DrainAsync(found, p.GetValue(host)!, Timeout(p, timeout), Report, cancel);
            int moved = results.Count(r => r.ExitCode == ExitCodes.Success && r.Outcome is not null);
            Console.WriteLine($"drained {p.GetValue(host)}: {moved} of {results.Count} ranks moved");
            return moved == results.Count ? ExitCodes.Success : results.Select(r => r.Outcome is null ? ExitCodes.Error : r.ExitCode).First(c => c != 0);
        });
        return command;
    }

    private static Command CheckpointCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id or job directory" };
        var dir = new Option<string?>("--dir") { Description = "Where the checkpoint goes (default <job dir>/checkpoints/<request id>)" };
        var timeout = TimeoutOption();
        var command = new Command("checkpoint", "Ask a running job for a coordinated checkpoint (through rank 0) and wait for it") { job, dir, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobOperations operations = Operations(p);
            var (id, outcome) = await operations.CheckpointAsync(found, p.GetValue(dir), Timeout(p, timeout), cancel);
            if (outcome.Outcome == "written")
            {
                Console.WriteLine($"written: checkpoint {id} epoch {outcome.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "?"} in {outcome.Dir}");
                return ExitCodes.Success;
            }
            Console.Error.WriteLine($"mitten: checkpoint {id} failed: {outcome.Reason ?? "no reason given"}");
            return ExitCodes.Failed;
        });
        return command;
    }
}
