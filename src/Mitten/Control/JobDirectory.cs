using System.Text.Json;
using Mitten.ControlDirectory;
using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten.Control;

/// <summary>
/// The job side of the control directory (docs/CONTROL.md): rank status files, claiming
/// requests, outcomes, events and the location table, all as the shared contract's documents
/// (src/Mitten.ControlDirectory) written with its atomic writer. Nothing here waits for the runtime.
/// </summary>
internal sealed class JobDirectory
{
    /// <summary>The largest request file a rank reads.</summary>
    private const int MaxRequestBytes = 64 * 1024;

    private long lastSuperstep;

    internal string Path { get; }

    private JobDirectory(string path) => Path = path;

    private string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>The job's control directory from MITTEN_JOB_DIR (or <paramref name="path"/>), or null when there is none.</summary>
    internal static JobDirectory? Open(string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable(ControlLayout.JobDirVariable);
        if (string.IsNullOrEmpty(path) || !Directory.Exists(path))
        {
            return null;
        }
        foreach (string sub in new[] { ControlLayout.RanksDirectory, ControlLayout.RequestsDirectory, ControlLayout.MigrationsDirectory, ControlLayout.CheckpointsDirectory })
        {
            AtomicFile.CreateOwnerOnlyDirectory(System.IO.Path.Combine(path, sub), tightenExisting: false);
        }
        return new JobDirectory(path);
    }

    /// <summary>RFC 1123 host name, at most 253 characters (the contract's one rule).</summary>
    internal static bool IsValidHostName(string host) => Names.IsHostName(host);

    internal void WriteRankStatus(int rank, long superstep, string state)
    {
        lastSuperstep = superstep;
        // A heartbeat: atomic, not fsynced (see AtomicFile.Write).
        Write(Combine(ControlLayout.RanksDirectory, $"{rank}.json"), new RankStatus
        {
            Rank = rank, Host = Mpi.ProcessorName, Pid = Environment.ProcessId, Superstep = superstep, State = state, Updated = DateTimeOffset.UtcNow,
        }, durable: false);
    }

    /// <summary>
    /// Claims the requests addressed to <paramref name="rank"/> (renaming them to .taken so
    /// no request is acted on twice). Malformed requests, and anything in requests/ that is
    /// not a regular file (a FIFO would block the reader for ever), are renamed to .invalid
    /// with a warning and never opened.
    /// </summary>
    internal IEnumerable<MigrationRequest> ClaimRequests(int rank, int size)
    {
        string dir = Combine(ControlLayout.RequestsDirectory);
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
            ControlRequest? request = ReadRequest(file, size, out string problem);
            if (request is null)
            {
                if (problem.Length > 0)
                {
                    MittenLog.RequestIgnored(MittenLog.Logger, System.IO.Path.GetFileName(file), problem);
                    TryRename(file, System.IO.Path.ChangeExtension(file, ".invalid"));
                }
                continue;
            }
            bool checkpoint = request.Kind == ControlRequest.CheckpointKind;
            if ((checkpoint && rank != 0) || (!checkpoint && request.Rank != rank))
            {
                continue;
            }
            if (!TryRename(file, System.IO.Path.ChangeExtension(file, ".taken")))
            {
                continue; // another process claimed it first
            }
            if (checkpoint)
            {
                string directory = request.Dir ?? Combine(ControlLayout.CheckpointsDirectory, request.Id);
                yield return new MigrationRequest(request.Id, 0, null, System.Diagnostics.Stopwatch.GetTimestamp(), directory);
                continue;
            }
            yield return new MigrationRequest(request.Id, request.Rank!.Value, request.To, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }

    private static ControlRequest? ReadRequest(string file, int size, out string problem)
    {
        problem = "";
        try
        {
            if (!FileKind.IsRegularFile(file))
            {
                problem = File.Exists(file) || Directory.Exists(file) ? "not a regular file (never opened)" : "";
                return null;
            }
            var info = new FileInfo(file);
            if (info.Length > MaxRequestBytes)
            {
                problem = "larger than 64 KiB";
                return null;
            }
            ControlRequest request = ControlJson.Parse(File.ReadAllBytes(file), ControlJson.Compact.ControlRequest, "request");
            if (request.Problem(size) is string why)
            {
                problem = why;
                return null;
            }
            return request;
        }
        catch (ControlFormatException e)
        {
            problem = e.Message.StartsWith("request: ", StringComparison.Ordinal) ? e.Message["request: ".Length..] : e.Message;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // renamed by someone else meanwhile
        }
    }

    internal void WriteOutcome(string requestId, int rank, MigrationOutcome outcome, string reason, MigrationReport? report, int fromPid = 0)
    {
        if (!Names.IsRequestId(requestId))
        {
            return; // no file name to answer under
        }
        var phases = new Dictionary<string, double>();
        var timeline = new List<TimelineEntry>();
        if (report is not null)
        {
            foreach (var (phase, seconds) in report.Timeline)
            {
                timeline.Add(new TimelineEntry(phase, Ms: Math.Round(seconds * 1000, 3)));
            }
            phases["protocol"] = Math.Round(report.ProtocolSeconds * 1000, 3);
            phases["freeze_wait"] = Math.Round(report.FreezeWaitSeconds * 1000, 3);
            phases["lock_wait"] = Math.Round(report.LockWaitSeconds * 1000, 3);
            double Ms(double seconds) => Math.Round(seconds * 1000, 3);
            if (outcome == MigrationOutcome.Committed)
            {
                phases["sync"] = Ms(report.At("synchronized"));
                phases["spawn"] = Ms(report.At("spawned") - report.At("synchronized"));
                phases["transfer"] = Ms(report.At("restored") - report.At("spawned"));
                phases["total"] = Ms(report.At("resumed"));
                phases["freeze"] = Ms(report.At("freeze"));
            }
            foreach (string key in phases.Where(p => !double.IsFinite(p.Value)).Select(p => p.Key).ToList())
            {
                phases.Remove(key); // a phase that did not happen is left out, not written as NaN
            }
        }
        bool committed = outcome == MigrationOutcome.Committed;
        string file = Combine(ControlLayout.MigrationsDirectory, $"{requestId}.json");
        // The replacement passes the old process's pid and writes the one account of a commit
        // (with the new pid and the total and freeze times). Another process recording the same
        // commit (fromPid 0; the rewritten protocol's resolution step) knows neither, and an
        // operator waiting for the file must not read its partial account first: it writes none.
        bool replacement = fromPid != 0;
        if (committed && !replacement)
        {
            return;
        }
        Write(file, new MigrationOutcomeDocument
        {
            Id = requestId,
            Rank = rank,
            Outcome = outcome,
            Reason = reason,
            From = new ProcessLocation(report?.FromHost ?? Mpi.ProcessorName, fromPid == 0 ? Environment.ProcessId : fromPid),
            // A move that did not commit has no target process: the host it was meant for, no pid.
            To = new ProcessLocation(report?.ToHost ?? "", committed && replacement ? Environment.ProcessId : null),
            PhasesMs = phases,
            Timeline = timeline,
        });
    }

    internal void WriteCheckpointOutcome(string requestId, string outcome, long epoch, string directory, string reason)
    {
        if (!Names.IsRequestId(requestId))
        {
            return;
        }
        Write(Combine(ControlLayout.CheckpointsDirectory, $"{requestId}.json"), new CheckpointOutcomeDocument
        {
            Id = requestId, Outcome = outcome, Epoch = epoch, Dir = directory, Reason = reason, Superstep = lastSuperstep,
        });
    }

    /// <summary>
    /// Appends one event line. <paramref name="extraJson"/> is a JSON object's members without
    /// braces (e.g. <c>"to":"host"</c>); they are parsed and serialized again, never pasted.
    /// </summary>
    internal void AppendEvent(string name, int rank, long migrationId, string? requestId, string? extraJson)
    {
        EventDetails details = new();
        if (!string.IsNullOrEmpty(extraJson))
        {
            try
            {
                details = ControlJson.Parse("{" + extraJson + "}", ControlJson.Compact.EventDetails, "event details");
            }
            catch (ControlFormatException e)
            {
                MittenLog.EventDetailsDropped(MittenLog.Logger, name, e.Message);
            }
        }
        var line = new ControlEvent
        {
            Time = DateTimeOffset.UtcNow, Rank = rank, Event = name, Migration = JsonSerializer.SerializeToElement(migrationId, ControlJson.Compact.Int64),
            Request = requestId, To = details.To, Pid = details.Pid, Bytes = details.Bytes, Epoch = details.Epoch, Outcome = details.Outcome, Extra = details.Extra,
        };
        try
        {
            AtomicFile.AppendLine(Combine(ControlLayout.EventsFile), ControlJson.Line(line, ControlJson.Compact.ControlEvent));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            MittenLog.CannotAppend(MittenLog.Logger, ControlLayout.EventsFile, e.Message);
        }
    }

    /// <summary>Rewrites the location table with <paramref name="rank"/> at (host, pid); rank 0 writes the first one at start.</summary>
    internal void SetLocation(int rank, string host, int pid)
    {
        string file = Combine(ControlLayout.LocationsFile);
        Dictionary<string, ProcessLocation> table;
        try
        {
            table = File.Exists(file) ? ControlJson.ReadFile(file, ControlJson.Compact.DictionaryStringProcessLocation) : [];
        }
        catch (Exception e) when (e is ControlFormatException or IOException)
        {
            table = [];
        }
        table[rank.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new ProcessLocation(host, pid);
        Write(file, table);
    }

    internal void WriteLocations(IReadOnlyList<(string Host, int Pid)> locations)
    {
        var table = new Dictionary<string, ProcessLocation>();
        for (int r = 0; r < locations.Count; r++)
        {
            table[r.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new ProcessLocation(locations[r].Host, locations[r].Pid);
        }
        Write(Combine(ControlLayout.LocationsFile), table);
    }

    private static void Write<T>(string file, T document, bool durable = true)
    {
        try
        {
            ControlJson.WriteFile(file, document, durable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            MittenLog.CannotWrite(MittenLog.Logger, file, e.Message);
        }
    }

    private static bool TryRename(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
