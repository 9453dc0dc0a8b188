using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Mitten.GroupComm;

// A small MPI program for the runtime tests. It plays the job's side of docs/CONTROL.md only
// as far as a program without the migration layer honestly can: it reports its ranks, and it
// claims the requests meant for it and answers "rejected" / "failed" (it cannot migrate or
// checkpoint). Scenarios:
//   env CODE                    print what the ranks see (MITTEN_JOB_DIR, MITTEN_RESTART_DIR), exit CODE
//   serve [--hosts a,b] [--leave-running R] [--seconds S]
//                               report ranks/<r>.json, answer requests, until <job dir>/driver-stop exists
string scenario = args.Length > 0 ? args[0] : "";
Mpi.Init();
int rank = Mpi.World.Rank;
string? jobDir = Environment.GetEnvironmentVariable("MITTEN_JOB_DIR");
int exitCode = 0;
if (scenario == "env")
{
    Console.WriteLine($"JOBDIR rank={rank} {jobDir ?? "(unset)"}");
    Console.WriteLine($"RESTART rank={rank} {Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") ?? "(unset)"}");
    Console.WriteLine($"CHECK job-dir-exists {(jobDir is not null && Directory.Exists(jobDir) ? "ok" : "FAIL")} rank={rank}");
    exitCode = args.Length > 1 ? int.Parse(args[1]) : 0;
}
else if (scenario == "serve")
{
    exitCode = new ControlSide(jobDir ?? throw new InvalidOperationException("MITTEN_JOB_DIR is not set"), rank, args).Serve();
}
else
{
    Console.WriteLine($"CHECK scenario FAIL unknown scenario '{scenario}'");
    exitCode = 2;
}
Mpi.World.Barrier();
Mpi.Finalize();
return exitCode;

internal sealed class ControlSide(string jobDir, int rank, string[] args)
{
    private const int SIGUSR2 = 12;
    private readonly string host = OptionIn(args, "--hosts") is string hosts ? hosts.Split(',')[rank % hosts.Split(',').Length] : System.Net.Dns.GetHostName();
    private readonly int pid = Environment.ProcessId;
    private long superstep;
    private volatile int signals;

    private string? Option(string name) => OptionIn(args, name);

    private static string? OptionIn(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public int Serve()
    {
        using var registration = PosixSignalRegistration.Create((PosixSignal)SIGUSR2, context =>
        {
            context.Cancel = true; // SIGUSR2's default action would end the process
            Interlocked.Increment(ref signals);
            Console.WriteLine($"SIGUSR2 rank={rank}");
        });
        double seconds = Option("--seconds") is string s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 60;
        int leaveRunning = Option("--leave-running") is string l ? int.Parse(l) : -1;
        DateTime end = DateTime.UtcNow.AddSeconds(seconds);
        DateTime nextReport = DateTime.MinValue;
        while (DateTime.UtcNow < end && !File.Exists(Path.Combine(jobDir, "driver-stop")))
        {
            superstep++;
            if (DateTime.UtcNow >= nextReport)
            {
                Report("running");
                nextReport = DateTime.UtcNow.AddSeconds(1);
            }
            AnswerRequests();
            Thread.Sleep(100);
        }
        if (rank != leaveRunning)
        {
            Report("finished");
        }
        Console.WriteLine($"SIGNALS rank={rank} {signals}");
        return 0;
    }

    private void Report(string state) => Write(Path.Combine(jobDir, "ranks", $"{rank}.json"), new JsonObject
    {
        ["rank"] = rank, ["host"] = host, ["pid"] = pid, ["superstep"] = superstep, ["state"] = state, ["updated"] = Now(),
    });

    private void AnswerRequests()
    {
        string requests = Path.Combine(jobDir, "requests");
        foreach (string file in Directory.GetFiles(requests, "*.json"))
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                continue; // taken by another rank, or not for anyone
            }
            string kind = (string?)request["kind"] ?? "";
            bool mine = kind == "migrate" ? (int?)request["rank"] == rank : kind == "checkpoint" && rank == 0;
            string id = (string?)request["id"] ?? "";
            if (!mine || id.Length == 0)
            {
                continue;
            }
            try
            {
                File.Move(file, Path.ChangeExtension(file, ".taken")); // the claim
            }
            catch (IOException)
            {
                continue;
            }
            Console.WriteLine($"CLAIMED rank={rank} {kind} {id} signals={signals}");
            string now = Now();
            if (kind == "migrate")
            {
                Write(Path.Combine(jobDir, "migrations", id + ".json"), new JsonObject
                {
                    ["id"] = id, ["rank"] = rank, ["outcome"] = "rejected", ["reason"] = "RuntimeDriver has no migration layer",
                    ["from"] = new JsonObject { ["host"] = host, ["pid"] = pid }, ["to"] = null,
                    ["phases_ms"] = new JsonObject(), ["timeline"] = new JsonArray(new JsonObject { ["phase"] = "rejected", ["time"] = now }),
                });
                File.AppendAllText(Path.Combine(jobDir, "events.jsonl"),
                    new JsonObject { ["time"] = now, ["rank"] = rank, ["event"] = "rejected", ["migration"] = id }.ToJsonString() + "\n");
            }
            else
            {
                Write(Path.Combine(jobDir, "checkpoints", id + ".json"), new JsonObject
                {
                    ["id"] = id, ["outcome"] = "failed", ["epoch"] = null, ["dir"] = (string?)request["dir"], ["reason"] = "RuntimeDriver has no checkpoint layer",
                });
            }
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private static void Write(string path, JsonObject o)
    {
        File.WriteAllText(path + ".tmp", o.ToJsonString());
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
