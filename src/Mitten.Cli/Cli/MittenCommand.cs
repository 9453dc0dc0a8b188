using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Cli;

/// <summary>The command line: <c>mitten run|restart|status|migrate|drain|checkpoint|jobs|cancel|checkpoints|clean</c>.</summary>
internal static partial class MittenCommand
{
    internal static readonly Option<string?> JobsRoot = new("--job-dir-root")
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
            Console.Error.WriteLine($"mitten: {ParseErrors.Describe(root, parsed, args)}");
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
        root.Subcommands.Add(JobsCommand());
        root.Subcommands.Add(CancelCommand());
        root.Subcommands.Add(CheckpointsCommand());
        root.Subcommands.Add(CleanCommand());
        foreach (Command command in root.Subcommands)
        {
            foreach (Argument argument in command.Arguments.Where(a => a.Name is "job" or "target"))
            {
                ParseErrors.RejectOptionLike(argument);
            }
        }
        return root;
    }

    private static Command StatusCommand()
    {
        var job = new Argument<string?>("job") { Description = "Job id, name or directory (default: the newest running job, else the newest job)", Arity = ArgumentArity.ZeroOrOne };
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

    internal static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds to wait for the job's answer",
        DefaultValueFactory = _ => 120,
    };

    internal static TimeSpan Timeout(ParseResult p, Option<double> option)
    {
        double seconds = p.GetValue(option);
        if (!(seconds > 0 && seconds <= 86_400))
        {
            throw new MittenException($"--timeout must be more than 0 and at most 86400 seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static Command MigrateCommand()
    {
        var job = new Argument<string>("job") { Description = "Job id, name or directory" };
        var rank = new Option<int>("--rank", "-r") { Description = "Rank to migrate", Required = true };
        var to = new Option<string?>("--to") { Description = "Destination host (default: the job chooses)" };
        var timeout = TimeoutOption();
        var command = new Command("migrate", "Ask a running job to migrate one rank; waits for the commit or the rollback") { job, rank, to, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            TimeSpan wait = Timeout(p, timeout); // before the job is looked up: a bad option is the first thing to hear about
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobOperations operations = Operations(p);
            MigrationResult result = await operations.MigrateAsync(found, p.GetValue(rank), p.GetValue(to), wait, cancel);
            Report(result);
            return result.ExitCode;
        });
        return command;
    }

    private static void Report(MigrationResult result)
    {
        if (result.Outcome?.Outcome == MigrationOutcome.Committed)
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
        var job = new Argument<string>("job") { Description = "Job id, name or directory" };
        var host = new Option<string>("--host") { Description = "Host to move every rank off", Required = true };
        var timeout = TimeoutOption();
        var command = new Command("drain", "Migrate every rank on a host to the job's other hosts, one at a time") { job, host, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            TimeSpan wait = Timeout(p, timeout); // before the job is looked up: a bad option is the first thing to hear about
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
        var job = new Argument<string>("job") { Description = "Job id, name or directory" };
        var dir = new Option<string?>("--dir") { Description = "Where the checkpoint goes (default <job dir>/checkpoints/<request id>)" };
        var timeout = TimeoutOption();
        var command = new Command("checkpoint", "Ask a running job for a coordinated checkpoint (through rank 0) and wait for it") { job, dir, timeout, Verbose };
        command.SetAction(async (p, cancel) =>
        {
            TimeSpan wait = Timeout(p, timeout); // before the job is looked up: a bad option is the first thing to hear about
            JobDirectory found = JobDirectory.Find(p.GetValue(job), p.GetValue(JobsRoot));
            JobOperations operations = Operations(p);
            var (id, outcome) = await operations.CheckpointAsync(found, p.GetValue(dir), wait, cancel);
            if (outcome.Outcome == CheckpointOutcomeDocument.Written)
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
