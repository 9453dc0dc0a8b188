using System.Text.Json.Nodes;

namespace Mitten.Runtime.Control;

/// <summary><c>job.json</c>: written by the runtime at launch and at the end.</summary>
internal sealed record JobInfo(
    string Id, int Ranks, string Program, string[] Args, string[] Hosts, DateTimeOffset Started,
    int? MpiexecPid, string State, int? ExitCode, string? RestartDir = null, DateTimeOffset? Finished = null)
{
    public const string RunningState = "running";
    public const string FinishedState = "finished";

    public bool IsRunning => State == RunningState;

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["id"] = Id,
            ["ranks"] = Ranks,
            ["program"] = Program,
            ["args"] = new JsonArray(Args.Select(a => (JsonNode?)a).ToArray()),
            ["hosts"] = new JsonArray(Hosts.Select(h => (JsonNode?)h).ToArray()),
            ["started"] = Json.Time(Started),
            ["mpiexecPid"] = MpiexecPid,
            ["state"] = State,
            ["exitCode"] = ExitCode,
        };
        if (RestartDir is not null)
        {
            o["restartDir"] = RestartDir;
        }
        if (Finished is not null)
        {
            o["finished"] = Json.Time(Finished.Value);
        }
        return o;
    }

    public void Write(JobDirectory job) => AtomicFile.Write(job.JobFile, ToJson().ToJsonString(Json.Indented));

    public static JobInfo Read(JobDirectory job)
    {
        string what = job.JobFile;
        JsonObject o = Json.ReadObjectFile(what);
        string state = Json.String(o, "state", what);
        if (state is not (RunningState or FinishedState))
        {
            throw new MalformedControlFileException($"{what}: state '{Names.Printable(state)}' is not running or finished");
        }
        long ranks = Json.Integer(o, "ranks", what);
        if (ranks is < 1 or > 1_000_000)
        {
            throw new MalformedControlFileException($"{what}: ranks {ranks} out of range");
        }
        return new JobInfo(
            Json.String(o, "id", what), (int)ranks, Json.String(o, "program", what),
            Json.StringArray(o, "args", what), Json.StringArray(o, "hosts", what),
            Json.OptionalTime(o, "started", what) ?? throw new MalformedControlFileException($"{what}: missing \"started\""),
            (int?)Json.OptionalInteger(o, "mpiexecPid", what), state, (int?)Json.OptionalInteger(o, "exitCode", what),
            Json.OptionalString(o, "restartDir", what), Json.OptionalTime(o, "finished", what));
    }
}

/// <summary><c>ranks/&lt;rank&gt;.json</c>: what a rank last reported about itself.</summary>
internal sealed record RankReport(int Rank, string Host, int Pid, long Superstep, string State, DateTimeOffset? Updated)
{
    public static readonly string[] States = ["running", "synchronizing", "migrating", "finished"];

    public bool IsFinished => State == "finished";

    public static RankReport Read(string path)
    {
        JsonObject o = Json.ReadObjectFile(path);
        long rank = Json.Integer(o, "rank", path);
        string host = Json.String(o, "host", path);
        long pid = Json.Integer(o, "pid", path);
        string state = Json.String(o, "state", path);
        if (!States.Contains(state))
        {
            throw new MalformedControlFileException($"{path}: state '{Names.Printable(state)}' is not one of {string.Join("|", States)}");
        }
        if (!Names.IsHostName(host, out string why))
        {
            throw new MalformedControlFileException($"{path}: host '{Names.Printable(host)}' is not a host name ({why})");
        }
        if (rank is < 0 or > int.MaxValue || pid is <= 0 or > int.MaxValue)
        {
            throw new MalformedControlFileException($"{path}: rank or pid out of range");
        }
        if (Path.GetFileNameWithoutExtension(path) != rank.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new MalformedControlFileException($"{path}: says rank {rank}");
        }
        return new RankReport((int)rank, host, (int)pid, Json.OptionalInteger(o, "superstep", path) ?? 0, state, Json.OptionalTime(o, "updated", path));
    }

    /// <summary>Every parseable report of the job, and one message per file that is not.</summary>
    public static (SortedDictionary<int, RankReport> Reports, List<string> Problems) ReadAll(JobDirectory job)
    {
        var reports = new SortedDictionary<int, RankReport>();
        var problems = new List<string>();
        if (!Directory.Exists(job.RanksDirectory))
        {
            return (reports, problems);
        }
        foreach (string file in Directory.EnumerateFiles(job.RanksDirectory, "*.json"))
        {
            try
            {
                RankReport r = Read(file);
                reports[r.Rank] = r;
            }
            catch (MittenException e)
            {
                problems.Add(e.Message);
            }
            catch (IOException e)
            {
                problems.Add($"{file}: {e.Message}");
            }
        }
        return (reports, problems);
    }
}

/// <summary><c>migrations/&lt;id&gt;.json</c>: the job's account of one migrate request.</summary>
internal sealed record MigrationOutcome(
    string Id, int Rank, string Outcome, string? Reason, Endpoint? From, Endpoint? To,
    IReadOnlyList<KeyValuePair<string, double>> PhasesMs, IReadOnlyList<(string Phase, DateTimeOffset? Time, double? Ms)> Timeline, JsonObject Raw)
{
    public static readonly string[] Outcomes = ["committed", "rolled_back", "rejected"];

    public static MigrationOutcome Read(string path)
    {
        JsonObject o = Json.ReadObjectFile(path);
        string outcome = Json.String(o, "outcome", path);
        if (!Outcomes.Contains(outcome))
        {
            throw new MalformedControlFileException($"{path}: outcome '{Names.Printable(outcome)}' is not one of {string.Join("|", Outcomes)}");
        }
        var phases = new List<KeyValuePair<string, double>>();
        if (o["phases_ms"] is JsonObject p)
        {
            foreach (var (name, _) in p)
            {
                if (Json.OptionalNumber(p, name, path) is double ms)
                {
                    phases.Add(new(name, ms));
                }
            }
        }
        // Each timeline entry has a phase and either an absolute "time" or "ms" since the migration began.
        var timeline = new List<(string, DateTimeOffset?, double?)>();
        if (o["timeline"] is JsonArray t)
        {
            foreach (JsonNode? entry in t)
            {
                if (entry is JsonObject e && Json.OptionalString(e, "phase", path) is string phase)
                {
                    timeline.Add((phase, Json.OptionalTime(e, "time", path), Json.OptionalNumber(e, "ms", path)));
                }
            }
        }
        return new MigrationOutcome(
            Json.String(o, "id", path), (int)Json.Integer(o, "rank", path), outcome, Json.OptionalString(o, "reason", path),
            Endpoint.Read(o, "from", path), Endpoint.Read(o, "to", path), phases, timeline, o);
    }
}

/// <summary>A process location: host and pid.</summary>
internal sealed record Endpoint(string? Host, int? Pid)
{
    public static Endpoint? Read(JsonObject o, string name, string what) => o[name] is JsonObject e ? FromJson(e, what) : null;

    public static Endpoint FromJson(JsonObject e, string what) => new(Json.OptionalString(e, "host", what), (int?)Json.OptionalInteger(e, "pid", what));

    public override string ToString() => $"{Host ?? "?"} (pid {Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})";
}

/// <summary><c>checkpoints/&lt;id&gt;.json</c>: the job's account of one checkpoint request.</summary>
internal sealed record CheckpointOutcome(string Id, string Outcome, long? Epoch, string? Dir, string? Reason, JsonObject Raw)
{
    public static CheckpointOutcome Read(string path)
    {
        JsonObject o = Json.ReadObjectFile(path);
        string outcome = Json.String(o, "outcome", path);
        if (outcome is not ("written" or "failed"))
        {
            throw new MalformedControlFileException($"{path}: outcome '{Names.Printable(outcome)}' is not written or failed");
        }
        return new CheckpointOutcome(Json.String(o, "id", path), outcome, Json.OptionalInteger(o, "epoch", path),
            Json.OptionalString(o, "dir", path), Json.OptionalString(o, "reason", path), o);
    }
}

/// <summary>
/// One line of <c>events.jsonl</c>. <see cref="Key"/> names the migration: the request id
/// (field <c>request</c>, or <c>migration</c> when it is a string), else the job's own
/// migration number (<c>migration</c> as a number) as <c>#n</c>.
/// </summary>
internal sealed record ControlEvent(DateTimeOffset Time, int? Rank, string Event, string? Key, JsonObject Raw)
{
    public static readonly string[] Events =
        ["migration_start", "synchronized", "spawned", "state_sent", "restore_complete", "migration_commit", "rollback", "rejected", "checkpoint",
         "resumed", "job_failed"];

    public static ControlEvent Parse(string line, string what)
    {
        JsonObject o = Json.ParseObject(line, what);
        string name = Json.String(o, "event", what);
        if (!Events.Contains(name))
        {
            throw new MalformedControlFileException($"{what}: event '{Names.Printable(name)}' is not one of the contract's events");
        }
        string? key = Json.OptionalString(o, "request", what);
        if (key is null && o["migration"] is JsonValue m)
        {
            key = m.GetValueKind() == System.Text.Json.JsonValueKind.String ? Json.OptionalString(o, "migration", what)
                : "#" + Json.Integer(o, "migration", what).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (key is not null && !(Names.IsRequestId(key) || (key.StartsWith('#') && key.Length > 1)))
        {
            throw new MalformedControlFileException($"{what}: migration id '{Names.Printable(key)}' is malformed");
        }
        return new ControlEvent(
            Json.OptionalTime(o, "time", what) ?? throw new MalformedControlFileException($"{what}: missing \"time\""),
            (int?)Json.OptionalInteger(o, "rank", what), name, key, o);
    }
}
