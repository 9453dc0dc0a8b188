using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten.Control;

/// <summary>
/// The job side of the control directory (docs/CONTROL.md): rank status files, claiming
/// requests, outcomes, events and the location table. Every file is written to a temporary
/// name and renamed; nothing here waits for the runtime.
/// </summary>
internal sealed partial class JobDirectory
{
    internal string Path { get; }

    private JobDirectory(string path) => Path = path;

    /// <summary>The job's control directory from MITTEN_JOB_DIR (or <paramref name="path"/>), or null when there is none.</summary>
    internal static JobDirectory? Open(string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable("MITTEN_JOB_DIR");
        if (string.IsNullOrEmpty(path) || !Directory.Exists(path))
        {
            return null;
        }
        foreach (string sub in new[] { "ranks", "requests", "migrations", "checkpoints" })
        {
            string dir = System.IO.Path.Combine(path, sub);
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        return new JobDirectory(path);
    }

    /// <summary>RFC 1123 host name, at most 253 characters.</summary>
    internal static bool IsValidHostName(string host) => host.Length is > 0 and <= 253 && HostName().IsMatch(host);

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?))*$")]
    private static partial Regex HostName();

    internal void WriteRankStatus(int rank, long superstep, string state)
    {
        var node = new JsonObject
        {
            ["rank"] = rank,
            ["host"] = Mpi.ProcessorName,
            ["pid"] = Environment.ProcessId,
            ["superstep"] = superstep,
            ["state"] = state,
            ["updated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        WriteAtomically(System.IO.Path.Combine(Path, "ranks", $"{rank}.json"), node.ToJsonString());
    }

    /// <summary>
    /// Claims the requests addressed to <paramref name="rank"/> (renaming them to .taken so
    /// no request is acted on twice). Malformed requests are renamed to .invalid with a warning.
    /// </summary>
    internal IEnumerable<MigrationRequest> ClaimRequests(int rank, int size)
    {
        string dir = System.IO.Path.Combine(Path, "requests");
        string[] files;
        try
        {
            files = Directory.GetFiles(dir, "*.json");
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            RequestFile? request = ReadRequest(file, size, out string problem);
            if (request is null)
            {
                if (problem.Length > 0)
                {
                    Console.Error.WriteLine($"mitten: warning: ignoring request {System.IO.Path.GetFileName(file)}: {problem}");
                    TryRename(file, System.IO.Path.ChangeExtension(file, ".invalid"));
                }
                continue;
            }
            if (request.Kind == "migrate" && request.Rank != rank)
            {
                continue;
            }
            if (request.Kind == "checkpoint" && rank != 0)
            {
                continue;
            }
            if (!TryRename(file, System.IO.Path.ChangeExtension(file, ".taken")))
            {
                continue; // another process claimed it first
            }
            if (request.Kind == "checkpoint")
            {
                string directory = request.Directory ?? System.IO.Path.Combine(Path, "checkpoints", request.Id);
                yield return new MigrationRequest(request.Id, 0, null, System.Diagnostics.Stopwatch.GetTimestamp(), directory);
                continue;
            }
            yield return new MigrationRequest(request.Id, request.Rank, request.To, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }

    private sealed record RequestFile(string Id, string Kind, int Rank, string? To, string? Directory = null);

    private static RequestFile? ReadRequest(string file, int size, out string problem)
    {
        problem = "";
        try
        {
            var info = new FileInfo(file);
            if (info.Length > 64 * 1024)
            {
                problem = "larger than 64 KiB";
                return null;
            }
            JsonNode? node = JsonNode.Parse(File.ReadAllText(file));
            string id = node?["id"]?.GetValue<string>() ?? "";
            string kind = node?["kind"]?.GetValue<string>() ?? "";
            if (id.Length is 0 or > 128 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                problem = "missing or malformed id";
                return null;
            }
            if (kind == "checkpoint")
            {
                string? dir = node?["dir"]?.GetValue<string?>();
                if (dir is not null && (dir.Length > 4096 || dir.Contains('\0') || !System.IO.Path.IsPathRooted(dir)))
                {
                    problem = "the checkpoint directory must be an absolute path";
                    return null;
                }
                return new RequestFile(id, kind, 0, null, dir);
            }
            if (kind != "migrate")
            {
                problem = $"unknown kind '{kind}'";
                return null;
            }
            int rank = node?["rank"]?.GetValue<int>() ?? -1;
            string? to = node?["to"]?.GetValue<string?>();
            if (rank < 0 || rank >= size)
            {
                problem = $"rank {rank} does not exist (0..{size - 1})";
                return null;
            }
            if (to is not null && !IsValidHostName(to))
            {
                problem = $"'{to}' is not a valid host name";
                return null;
            }
            return new RequestFile(id, kind, rank, to);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            problem = "not valid JSON: " + e.Message;
            return null;
        }
        catch (IOException)
        {
            return null; // renamed by someone else meanwhile
        }
    }

    internal void WriteOutcome(string requestId, int rank, MigrationOutcome outcome, string reason, MigrationReport? report, int fromPid = 0)
    {
        if (requestId.Length == 0 || requestId.StartsWith("api-", StringComparison.Ordinal))
        {
            return; // requests made through the API have no file to answer
        }
        var phases = new JsonObject();
        var timeline = new JsonArray();
        if (report is not null)
        {
            foreach (var (phase, seconds) in report.Timeline)
            {
                timeline.Add(new JsonObject { ["phase"] = phase, ["ms"] = Math.Round(seconds * 1000, 3) });
            }
            phases["protocol"] = Math.Round(report.ProtocolSeconds * 1000, 3);
            double Ms(string p) => Math.Round(report.At(p) * 1000, 3);
            if (outcome == MigrationOutcome.Committed)
            {
                // A phase missing from this process's timeline is NaN, which JSON cannot hold
                // (the migrating process's report has no "resumed"): left out.
                void Set(string name, double ms)
                {
                    if (double.IsFinite(ms))
                    {
                        phases[name] = ms;
                    }
                }
                Set("sync", Ms("synchronized"));
                Set("spawn", Math.Round((report.At("spawned") - report.At("synchronized")) * 1000, 3));
                Set("transfer", Math.Round((report.At("restored") - report.At("spawned")) * 1000, 3));
                Set("total", Ms("resumed"));
                Set("freeze", Ms("freeze"));
            }
        }
        WriteJson(System.IO.Path.Combine(Path, "migrations", $"{requestId}.json"), new JsonObject
        {
            ["id"] = requestId,
            ["rank"] = rank,
            ["outcome"] = outcome switch
            {
                MigrationOutcome.Committed => "committed",
                MigrationOutcome.RolledBack => "rolled_back",
                _ => "rejected",
            },
            ["reason"] = reason,
            ["from"] = new JsonObject { ["host"] = report?.FromHost ?? Mpi.ProcessorName, ["pid"] = fromPid == 0 ? Environment.ProcessId : fromPid },
            ["to"] = new JsonObject { ["host"] = report?.ToHost ?? "", ["pid"] = outcome == MigrationOutcome.Committed ? Environment.ProcessId : 0 },
            ["phases_ms"] = phases,
            ["timeline"] = timeline,
        });
    }

    internal void WriteCheckpointOutcome(string requestId, string outcome, long epoch, string directory, string reason)
    {
        if (requestId.StartsWith("api-", StringComparison.Ordinal))
        {
            return;
        }
        WriteJson(System.IO.Path.Combine(Path, "checkpoints", $"{requestId}.json"), new JsonObject
        {
            ["id"] = requestId,
            ["outcome"] = outcome,
            ["epoch"] = epoch,
            ["dir"] = directory,
            ["reason"] = reason,
        });
    }

    internal void AppendEvent(string name, int rank, long migrationId, string? requestId, string? extraJson)
    {
        string line = $"{{\"time\":\"{DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}\",\"rank\":{rank},\"event\":\"{name}\",\"migration\":{migrationId}" +
                      (requestId is null ? "" : $",\"request\":{JsonSerializer.Serialize(requestId)}") +
                      (string.IsNullOrEmpty(extraJson) ? "" : "," + extraJson) + "}\n";
        try
        {
            using var stream = new FileStream(System.IO.Path.Combine(Path, "events.jsonl"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            stream.Write(bytes);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"mitten: warning: cannot append to events.jsonl: {e.Message}");
        }
    }

    /// <summary>Rewrites the location table with <paramref name="rank"/> at (host, pid); rank 0 writes the first one at start.</summary>
    internal void SetLocation(int rank, string host, int pid)
    {
        string file = System.IO.Path.Combine(Path, "locations.json");
        JsonObject table;
        try
        {
            table = File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? new JsonObject() : new JsonObject();
        }
        catch (JsonException)
        {
            table = new JsonObject();
        }
        table[rank.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["host"] = host, ["pid"] = pid };
        WriteJson(file, table);
    }

    internal void WriteLocations(IReadOnlyList<(string Host, int Pid)> locations)
    {
        var table = new JsonObject();
        for (int r = 0; r < locations.Count; r++)
        {
            table[r.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["host"] = locations[r].Host, ["pid"] = locations[r].Pid };
        }
        WriteJson(System.IO.Path.Combine(Path, "locations.json"), table);
    }

    private static void WriteJson(string file, JsonNode node) => WriteAtomically(file, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static void WriteAtomically(string file, string text)
    {
        string temporary = file + "." + Environment.ProcessId + ".tmp";
        try
        {
            File.WriteAllText(temporary, text);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.Move(temporary, file, overwrite: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"mitten: warning: cannot write {file}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"mitten: warning: cannot write {file}: {e.Message}");
        }
    }

    private static bool TryRename(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
