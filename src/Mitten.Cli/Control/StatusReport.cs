using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Mitten.Runtime.Control;

/// <summary>
/// What <c>mitten status</c> shows: read from the job directory only, so it works with no
/// scheduler running and after the job ended.
/// </summary>
internal sealed class StatusReport
{
    public required JobDirectory Job { get; init; }
    public required JobDocument Info { get; init; }
    public required string JobState { get; init; }
    public required List<RankRow> Ranks { get; init; }
    public required List<MigrationOutcomeDocument> Migrations { get; init; }
    public required List<CheckpointOutcomeDocument> Checkpoints { get; init; }
    public required List<string> Problems { get; init; }

    internal sealed record RankRow(int Rank, string? Host, int? Pid, long? Superstep, string State, DateTimeOffset? Updated);

    public static StatusReport Read(JobDirectory job)
    {
        JobDocument info = ControlFiles.ReadJob(job);
        var problems = new List<string>();
        // A job the runtime never marked finished but whose mpiexec is gone: the runtime was killed.
        string jobState = info.State;
        if (info.IsRunning && info.MpiexecPid is int mp && !Native.ProcessExists(mp))
        {
            jobState = "lost";
            problems.Add($"job.json says running but mpiexec (pid {mp}) is gone: the mitten run that launched it ended without recording the end");
        }
        var (reports, rankProblems) = ControlFiles.ReadRanks(job);
        problems.AddRange(rankProblems);
        var rows = new List<RankRow>();
        for (int rank = 0; rank < Math.Max(info.Ranks, reports.Count == 0 ? 0 : reports.Keys.Max() + 1); rank++)
        {
            if (!reports.TryGetValue(rank, out RankStatus? r))
            {
                rows.Add(new RankRow(rank, null, null, null, "unknown", null));
                continue;
            }
            string state = r.State;
            // Not finished, yet its process is gone: seen directly on this machine, or implied by the job's end.
            if (!r.IsFinished && (jobState != JobDocument.RunningState || (LocalMachine.IsLocal(r.Host) && !Native.ProcessExists(r.Pid))))
            {
                state = "gone";
            }
            rows.Add(new RankRow(rank, r.Host, r.Pid, r.Superstep, state, r.Updated));
        }
        // In the order the job wrote the outcomes.
        var migrations = ReadOutcomes(job.MigrationsDirectory, ControlFiles.ReadMigration, problems)
            .OrderBy(m => m.Written).ThenBy(m => m.Value.Id, StringComparer.Ordinal).Select(m => m.Value).ToList();
        var checkpoints = ReadOutcomes(job.CheckpointsDirectory, ControlFiles.ReadCheckpoint, problems)
            .OrderBy(c => c.Written).ThenBy(c => c.Value.Id, StringComparer.Ordinal).Select(c => c.Value).ToList();
        return new StatusReport
        {
            Job = job, Info = info, JobState = jobState, Ranks = rows, Migrations = migrations, Checkpoints = checkpoints, Problems = problems,
        };
    }

    private static List<(T Value, DateTime Written)> ReadOutcomes<T>(string directory, Func<string, T> read, List<string> problems)
    {
        var list = new List<(T, DateTime)>();
        if (!Directory.Exists(directory))
        {
            return list;
        }
        foreach (string file in Directory.EnumerateFiles(directory, "*.json"))
        {
            try
            {
                list.Add((read(file), File.GetLastWriteTimeUtc(file)));
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
        return list;
    }

    public string ToText()
    {
        var b = new StringBuilder();
        string exit = Info.ExitCode is int code ? $", exit code {code}" : "";
        b.AppendLine($"job {Info.Id}: {JobState}{exit}, {Info.Ranks} ranks, started {Json.Time(Info.Started)}");
        b.AppendLine($"program: {Info.Program} {string.Join(' ', Info.Args)}".TrimEnd());
        b.AppendLine($"{"rank",4}  {"host",-20} {"pid",8} {"superstep",10}  state");
        foreach (RankRow r in Ranks)
        {
            b.AppendLine(
                $"{r.Rank,4}  {r.Host ?? "-",-20} {(r.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-"),8} {(r.Superstep?.ToString(CultureInfo.InvariantCulture) ?? "-"),10}  {r.State}");
        }
        if (Migrations.Count == 0)
        {
            b.AppendLine("migrations: none");
        }
        else
        {
            b.AppendLine("migrations:");
            foreach (MigrationOutcomeDocument m in Migrations)
            {
                string phases = string.Join(" ", (m.PhasesMs ?? []).Select(p => $"{p.Key}={p.Value.ToString("0.#", CultureInfo.InvariantCulture)}ms"));
                string where = m.From is null && m.To is null ? "" : $" {m.From?.ToString() ?? "?"} -> {m.To?.ToString() ?? "?"}";
                string reason = string.IsNullOrEmpty(m.Reason) ? "" : $" ({Names.Printable(m.Reason, 200)})";
                b.AppendLine($"  {m.Id} rank {m.Rank} {MigrationOutcomeConverter.Name(m.Outcome)}{where}{reason} {phases}".TrimEnd());
            }
        }
        foreach (CheckpointOutcomeDocument c in Checkpoints)
        {
            string reason = string.IsNullOrEmpty(c.Reason) ? "" : $" ({Names.Printable(c.Reason, 200)})";
            b.AppendLine($"checkpoint {c.Id}: {c.Outcome} epoch {c.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "-"} {c.Dir}{reason}".TrimEnd());
        }
        return b.ToString();
    }

    /// <summary>Version of the <c>status --json</c> layout; raised when a field changes meaning or goes away.</summary>
    public const int StatusSchemaVersion = 1;

    public JsonObject ToJson()
    {
        // One state: what the job is now (running, finished, or lost when its launcher died unrecorded).
        var job = (JsonObject)ControlFiles.ToNode(Info)!;
        job.Remove("schemaVersion");
        job["state"] = JobState;
        job["directory"] = Job.Path;
        var ranks = new JsonArray();
        foreach (RankRow r in Ranks)
        {
            ranks.Add(new JsonObject
            {
                ["rank"] = r.Rank, ["host"] = r.Host, ["pid"] = r.Pid, ["superstep"] = r.Superstep, ["state"] = r.State,
                ["updated"] = r.Updated is DateTimeOffset u ? Json.Time(u) : null,
            });
        }
        return new JsonObject
        {
            ["schemaVersion"] = StatusSchemaVersion,
            ["job"] = job,
            ["ranks"] = ranks,
            ["migrations"] = new JsonArray(Migrations.Select(m => ControlFiles.ToNode(m)).ToArray()),
            ["checkpoints"] = new JsonArray(Checkpoints.Select(c => ControlFiles.ToNode(c)).ToArray()),
            ["problems"] = new JsonArray(Problems.Select(p => (JsonNode?)p).ToArray()),
        };
    }
}
