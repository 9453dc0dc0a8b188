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
    public required JobInfo Info { get; init; }
    public required string JobState { get; init; }
    public required List<RankRow> Ranks { get; init; }
    public required List<MigrationOutcome> Migrations { get; init; }
    public required List<CheckpointOutcome> Checkpoints { get; init; }
    public required List<string> Problems { get; init; }

    internal sealed record RankRow(int Rank, string? Host, int? Pid, long? Superstep, string State, DateTimeOffset? Updated);

    public static StatusReport Read(JobDirectory job)
    {
        JobInfo info = JobInfo.Read(job);
        var problems = new List<string>();
        // A job the runtime never marked finished but whose mpiexec is gone: the runtime was killed.
        string jobState = info.State;
        if (info.IsRunning && info.MpiexecPid is int mp && !Native.ProcessExists(mp))
        {
            jobState = "lost";
            problems.Add($"job.json says running but mpiexec (pid {mp}) is gone: the mitten run that launched it ended without recording the end");
        }
        var (reports, rankProblems) = RankReport.ReadAll(job);
        problems.AddRange(rankProblems);
        var rows = new List<RankRow>();
        for (int rank = 0; rank < Math.Max(info.Ranks, reports.Count == 0 ? 0 : reports.Keys.Max() + 1); rank++)
        {
            if (!reports.TryGetValue(rank, out RankReport? r))
            {
                rows.Add(new RankRow(rank, null, null, null, "unknown", null));
                continue;
            }
            string state = r.State;
            // Not finished, yet its process is gone: seen directly on this machine, or implied by the job's end.
            if (!r.IsFinished && (jobState != JobInfo.RunningState || (LocalMachine.IsLocal(r.Host) && !Native.ProcessExists(r.Pid))))
            {
                state = "gone";
            }
            rows.Add(new RankRow(rank, r.Host, r.Pid, r.Superstep, state, r.Updated));
        }
        var migrations = ReadOutcomes(job.MigrationsDirectory, MigrationOutcome.Read, problems)
            .OrderBy(m => m.Timeline.FirstOrDefault(p => p.Time is not null).Time ?? DateTimeOffset.MaxValue).ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
        var checkpoints = ReadOutcomes(job.CheckpointsDirectory, CheckpointOutcome.Read, problems).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        return new StatusReport
        {
            Job = job, Info = info, JobState = jobState, Ranks = rows, Migrations = migrations, Checkpoints = checkpoints, Problems = problems,
        };
    }

    private static List<T> ReadOutcomes<T>(string directory, Func<string, T> read, List<string> problems)
    {
        var list = new List<T>();
        if (!Directory.Exists(directory))
        {
            return list;
        }
        foreach (string file in Directory.EnumerateFiles(directory, "*.json"))
        {
            try
            {
                list.Add(read(file));
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
            foreach (MigrationOutcome m in Migrations)
            {
                string phases = string.Join(" ", m.PhasesMs.Select(p => $"{p.Key}={p.Value.ToString("0.#", CultureInfo.InvariantCulture)}ms"));
                string where = m.From is null && m.To is null ? "" : $" {m.From?.ToString() ?? "?"} -> {m.To?.ToString() ?? "?"}";
                string reason = string.IsNullOrEmpty(m.Reason) ? "" : $" ({Names.Printable(m.Reason, 200)})";
                b.AppendLine($"  {m.Id} rank {m.Rank} {m.Outcome}{where}{reason} {phases}".TrimEnd());
            }
        }
        foreach (CheckpointOutcome c in Checkpoints)
        {
            string reason = string.IsNullOrEmpty(c.Reason) ? "" : $" ({Names.Printable(c.Reason, 200)})";
            b.AppendLine($"checkpoint {c.Id}: {c.Outcome} epoch {c.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "-"} {c.Dir}{reason}".TrimEnd());
        }
        return b.ToString();
    }

    public JsonObject ToJson()
    {
        JsonObject job = Info.ToJson();
        job["effectiveState"] = JobState;
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
            ["job"] = job,
            ["ranks"] = ranks,
            ["migrations"] = new JsonArray(Migrations.Select(m => (JsonNode?)m.Raw.DeepClone()).ToArray()),
            ["checkpoints"] = new JsonArray(Checkpoints.Select(c => (JsonNode?)c.Raw.DeepClone()).ToArray()),
            ["problems"] = new JsonArray(Problems.Select(p => (JsonNode?)p).ToArray()),
        };
    }
}
