using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mitten.Bench.Soak;

/// <summary>
/// Counts one soak job from its files: the request ids every rank issued (<c>issued.R.log</c>),
/// their outcomes in the control directory (<c>migrations/ID.json</c>, and the final events of
/// <c>events.jsonl</c>), and each rank's result and message counters (<c>final.R</c>). Prints
/// one line <c>soak-job: key=value ...</c> and then <c>detail: ...</c> lines for every problem.
/// </summary>
/// <remarks>
/// A request's outcome is its <c>migrations/ID.json</c>; when that file is missing, the final
/// event of the request in <c>events.jsonl</c> (migration_commit or resumed: committed;
/// rollback; rejected) stands in for it and the request is counted in <c>no_outcome_file</c>.
/// A request with neither is lost; in a job that hung and was killed it is counted as
/// <c>unresolved</c> instead (the hang is the failure). More than one distinct outcome is
/// <c>conflicting</c>.
/// </remarks>
internal static class SoakAnalysis
{
    private sealed record Issued(string Id, int Target, int Iteration, int Issuer, long Time);

    public static int Analyze(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }
        string control = options["--control"], logs = options["--logs"];
        int ranks = int.Parse(options["--ranks"], CultureInfo.InvariantCulture);
        int iterations = int.Parse(options["--iterations"], CultureInfo.InvariantCulture);
        int exitCode = int.Parse(options.GetValueOrDefault("--exit-code", "0"), CultureInfo.InvariantCulture);
        bool hung = options.GetValueOrDefault("--hung", "0") == "1";
        var details = new List<string>();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        void Count(string key, long n = 1) => counts[key] = counts.GetValueOrDefault(key) + n;
        foreach (string key in new[] { "requests", "committed", "rolled_back", "refused", "lost_requests", "unresolved", "conflicting",
                     "no_outcome_file", "lost_messages", "duplicated", "reordered", "corrupted", "wrong_results", "ranks_finished" })
        {
            counts[key] = 0;
        }

        // What was issued.
        var issued = new List<Issued>();
        foreach (string file in Directory.GetFiles(logs, "issued.*.log"))
        {
            foreach (string line in File.ReadAllLines(file))
            {
                var f = Fields(line);
                if (line.StartsWith("REFUSED ", StringComparison.Ordinal))
                {
                    Count("requests");
                    Count("refused");
                    continue;
                }
                string id = line.Split(' ')[0];
                issued.Add(new Issued(id, Int(f, "target"), Int(f, "iteration"), Int(f, "issuer"), long.Parse(f.GetValueOrDefault("time", "0"), CultureInfo.InvariantCulture)));
            }
        }

        // What the job recorded.
        var fileOutcome = new Dictionary<string, string>();
        string migrations = Path.Combine(control, "migrations");
        if (Directory.Exists(migrations))
        {
            foreach (string file in Directory.GetFiles(migrations, "*.json"))
            {
                try
                {
                    using var doc = JsonDocument.Parse(File.ReadAllText(file));
                    fileOutcome[doc.RootElement.GetProperty("id").GetString()!] = doc.RootElement.GetProperty("outcome").GetString()!;
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    details.Add($"malformed outcome file {Path.GetFileName(file)}: {e.Message}");
                }
            }
        }
        var journal = new Dictionary<string, List<(string Event, int Rank, string Time)>>();
        string events = Path.Combine(control, "events.jsonl");
        if (File.Exists(events))
        {
            foreach (string line in File.ReadAllLines(events))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.TryGetProperty("request", out JsonElement request) && request.ValueKind == JsonValueKind.String)
                    {
                        string id = request.GetString()!;
                        if (!journal.TryGetValue(id, out var list))
                        {
                            journal[id] = list = [];
                        }
                        list.Add((doc.RootElement.GetProperty("event").GetString()!, doc.RootElement.GetProperty("rank").GetInt32(),
                            doc.RootElement.TryGetProperty("time", out JsonElement t) ? t.GetString() ?? "" : ""));
                    }
                }
                catch (JsonException e)
                {
                    details.Add($"malformed events.jsonl line: {e.Message}: {line}");
                }
            }
        }

        // One outcome per request.
        var rebuilds = Rebuilds(journal);
        foreach (Issued request in issued.OrderBy(r => r.Time))
        {
            Count("requests");
            List<string> outcomes = Outcomes(request.Id, fileOutcome, journal);
            string describe = $"{request.Id} (rank {request.Target} asked by rank {request.Issuer} at iteration {request.Iteration}/{iterations}" +
                              $"{(request.Iteration == iterations - 1 ? ", the last iteration: it reaches Finish()" : "")}, " +
                              $"issued {DateTimeOffset.FromUnixTimeMilliseconds(request.Time):HH:mm:ss.fff})";
            if (outcomes.Count == 1)
            {
                Count(outcomes[0] == "rejected" ? "refused" : outcomes[0]);
                if (!fileOutcome.ContainsKey(request.Id))
                {
                    Count("no_outcome_file");
                }
                continue;
            }
            string seen = journal.TryGetValue(request.Id, out var evs) ? string.Join(", ", evs.Select(e => $"{e.Event}@rank{e.Rank} {Clock(e.Time)}")) : "no event";
            if (outcomes.Count > 1)
            {
                Count("conflicting");
                details.Add($"conflicting outcomes {string.Join("+", outcomes)} for request {describe}; events: {seen}");
                continue;
            }
            Count(hung ? "unresolved" : "lost_requests");
            details.Add($"{(hung ? "unresolved (job hung)" : "LOST")} request {describe}; events: {seen}; {NextRebuild(request, rebuilds)}");
        }
        foreach (var (id, outcome) in fileOutcome)
        {
            if (!issued.Any(r => r.Id == id))
            {
                details.Add($"outcome file {id}.json ({outcome}) for a request no rank logged");
            }
        }

        // Messages and results.
        for (int r = 0; r < ranks; r++)
        {
            string final = Path.Combine(logs, $"final.{r}");
            if (File.Exists(Path.Combine(logs, $"finished.{r}")))
            {
                Count("ranks_finished");
            }
            if (!File.Exists(final))
            {
                if (!hung)
                {
                    Count("wrong_results");
                    details.Add($"rank {r} wrote no result (exit code {exitCode})");
                }
                continue;
            }
            var f = Fields(File.ReadAllText(final).Trim());
            foreach (string key in new[] { "lost_messages", "duplicated", "reordered", "corrupted" })
            {
                Count(key, Int(f, key));
            }
            if (f.GetValueOrDefault("result") != f.GetValueOrDefault("expected") || Int(f, "iterations") != iterations)
            {
                Count("wrong_results");
                details.Add($"rank {r}: wrong result: {File.ReadAllText(final).Trim()}");
            }
        }
        foreach (string file in Directory.GetFiles(logs, "errors.*.log").Order(StringComparer.Ordinal))
        {
            foreach (string line in File.ReadLines(file).Take(20))
            {
                details.Add("error " + line);
            }
        }
        if (exitCode != 0 && !hung)
        {
            details.Add($"mpiexec exited with {exitCode}");
        }
        var output = new StringBuilder("soak-job:");
        foreach (var (key, value) in counts)
        {
            output.Append(CultureInfo.InvariantCulture, $" {key}={value}");
        }
        Console.WriteLine(output);
        foreach (string detail in details)
        {
            Console.WriteLine("detail: " + detail);
        }
        return 0;
    }

    private static List<string> Outcomes(string id, Dictionary<string, string> files, Dictionary<string, List<(string Event, int Rank, string Time)>> journal)
    {
        var outcomes = new SortedSet<string>(StringComparer.Ordinal);
        if (files.TryGetValue(id, out string? outcome))
        {
            outcomes.Add(outcome);
        }
        if (journal.TryGetValue(id, out var events))
        {
            foreach (var e in events)
            {
                string? o = e.Event switch
                {
                    "migration_commit" or "resumed" => "committed",
                    "rollback" => "rolled_back",
                    "rejected" => "rejected",
                    _ => null,
                };
                if (o is not null)
                {
                    outcomes.Add(o);
                }
            }
        }
        return [.. outcomes];
    }

    /// <summary>Every committed migration (a group rebuild): the rank that moved, when it started and when the old process committed.</summary>
    private static List<(string Id, int Rank, DateTimeOffset Start, DateTimeOffset Commit)> Rebuilds(
        Dictionary<string, List<(string Event, int Rank, string Time)>> journal)
    {
        var rebuilds = new List<(string, int, DateTimeOffset, DateTimeOffset)>();
        foreach (var (id, events) in journal)
        {
            var start = events.FirstOrDefault(e => e.Event == "migration_start");
            var commit = events.FirstOrDefault(e => e.Event == "migration_commit");
            if (commit.Event is null)
            {
                commit = events.FirstOrDefault(e => e.Event == "resumed");
            }
            if (start.Event is not null && commit.Event is not null && Time(start.Time) is { } s && Time(commit.Time) is { } c)
            {
                rebuilds.Add((id, start.Rank, s, c));
            }
        }
        return [.. rebuilds.OrderBy(r => r.Item4)];
    }

    /// <summary>
    /// Why a request may have been lost: the target's first committed move after the request was
    /// issued (the request was still queued in, or on its way to, the old process, which exited:
    /// cause target-moved), else the first rebuild of the group after it (the request was in
    /// flight on the control communicator the rebuild replaced: cause other-rank-moved).
    /// </summary>
    private static string NextRebuild(Issued request, List<(string Id, int Rank, DateTimeOffset Start, DateTimeOffset Commit)> rebuilds)
    {
        DateTimeOffset issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(request.Time);
        static string When((string Id, int Rank, DateTimeOffset Start, DateTimeOffset Commit) r) =>
            $"{r.Id}, started {r.Start.UtcDateTime:HH:mm:ss.fff}, committed {r.Commit.UtcDateTime:HH:mm:ss.fff}";
        foreach (var r in rebuilds)
        {
            if (r.Commit >= issuedAt && r.Rank == request.Target)
            {
                return $"the target moved afterwards for another request ({When(r)}) and this one never started: it died in the old process's queue (cause: target-moved)";
            }
        }
        foreach (var r in rebuilds)
        {
            if (r.Commit >= issuedAt)
            {
                return $"the target never moved afterwards; the group was rebuilt for rank {r.Rank} ({When(r)}) (cause: other-rank-moved)";
            }
        }
        return "no migration committed after it (cause: none-found)";
    }

    private static DateTimeOffset? Time(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Clock(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) : iso;

    private static Dictionary<string, string> Fields(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);

    private static int Int(Dictionary<string, string> fields, string key) =>
        int.TryParse(fields.GetValueOrDefault(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : 0;
}
