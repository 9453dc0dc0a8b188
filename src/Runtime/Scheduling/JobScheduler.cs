using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>
/// The scheduler of one job (patent 000's external runtime), hosted inside <c>mitten run</c>.
/// It only reads what the job writes (events.jsonl, migrations/, ranks/, locations.json) and
/// drops requests through the policy, so nothing in the job waits for it: if it dies the job
/// goes on. It holds the location table (rank -> host, pid), updated at each
/// migration_commit, and records every migration's timeline in the log and in scheduler.jsonl.
/// </summary>
internal sealed class JobScheduler(
    JobDirectory job, IMigrationPolicy policy, SchedulerJournal journal, SchedulerSettings settings, ILogger<JobScheduler> log) : BackgroundService
{
    /// <summary>The longest events.jsonl line read; a longer one is malformed and skipped.</summary>
    public const int MaxEventLineBytes = 64 * 1024;

    private readonly SortedDictionary<int, ProcessLocation> locations = new();
    private readonly Dictionary<string, MigrationTrack> migrations = new(StringComparer.Ordinal);
    private readonly HashSet<string> reported = new(StringComparer.Ordinal);   // migrations/*.json already summarized
    private readonly HashSet<string> requestsSeen = new(StringComparer.Ordinal);
    private readonly HashSet<string> checkpointIds = new(StringComparer.Ordinal); // their events are no migration's
    private readonly HashSet<string> failingSeen = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> complained = new(StringComparer.Ordinal);  // malformed inputs already reported
    private readonly Channel<string> failingHosts = Channel.CreateUnbounded<string>();
    private long eventsOffset;
    private byte[] partialLine = [];

    /// <summary>The location table: rank -> (host, pid).</summary>
    public IReadOnlyDictionary<int, ProcessLocation> Locations => locations;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        log.LogDebug("Scheduler for job {Job} watching {Directory}", job.Id, job.Path);
        journal.Record("scheduler_start", new JsonObject { ["job"] = job.Id });
        Task policyLoop = Task.Run(() => RunPolicyAsync(stoppingToken), CancellationToken.None);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Scan();
                await Task.Delay(settings.ScanInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // The job does not depend on the scheduler; losing it loses only the bookkeeping.
            log.LogError(e, "Scheduler for job {Job} stopped; the job keeps running", job.Id);
            return;
        }
        Scan(); // what the job wrote last
        foreach (MigrationTrack pending in migrations.Values.Where(m => m.CommitSeen && !m.LocationSettled))
        {
            SettleLocation(pending, final: true);
        }
        // A request the job set aside as malformed (.invalid) or the operator withdrew never
        // started a migration: nothing to summarize.
        foreach (MigrationTrack open in migrations.Values.Where(m => !m.Summarized && !checkpointIds.Contains(m.Id) && !NeverStarted(m)))
        {
            Summarize(open, null);
        }
        journal.Record("scheduler_stop", new JsonObject { ["locations"] = LocationsJson() });
        failingHosts.Writer.TryComplete();
        await policyLoop;
    }

    private bool NeverStarted(MigrationTrack track) =>
        track.Ordered().All(p => p.Phase == "signal") &&
        (File.Exists(Path.Combine(job.RequestsDirectory, track.Id + ".invalid")) || File.Exists(Path.Combine(job.RequestsDirectory, track.Id + ".withdrawn")));

    private async Task RunPolicyAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (string host in failingHosts.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await policy.OnHostFailingAsync(host, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Policy failed on failing host {Host}", host);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass over everything the job may have written since the last one.</summary>
    internal void Scan()
    {
        Guarded("ranks", ScanRanks);
        Guarded("requests", ScanRequests);
        Guarded("events", TailEvents);
        Guarded("migrations", ScanOutcomes);
        Guarded("locations", SettlePendingLocations);
        Guarded("failing", ScanFailing);
    }

    private void Guarded(string what, Action scan)
    {
        try
        {
            scan();
        }
        catch (IOException e)
        {
            log.LogDebug("Scan of {What} deferred: {Message}", what, e.Message);
        }
    }

    private void ScanRanks()
    {
        var (reports, problems) = ControlFiles.ReadRanks(job);
        problems.ForEach(Complain);
        foreach (RankStatus r in reports.Values)
        {
            if (!locations.ContainsKey(r.Rank))
            {
                locations[r.Rank] = new ProcessLocation(r.Host, r.Pid);
                log.LogDebug("Location table: rank {Rank} on {Host} pid {Pid}", r.Rank, r.Host, r.Pid);
            }
        }
    }

    private void ScanRequests()
    {
        foreach (string file in Directory.EnumerateFiles(job.RequestsDirectory))
        {
            string name = Path.GetFileName(file);
            string id = Path.GetFileNameWithoutExtension(name);
            if (Path.GetExtension(name) is not (".json" or ".taken") || !Names.IsRequestId(id) || !requestsSeen.Add(id))
            {
                continue;
            }
            try
            {
                ControlRequest request = ControlFiles.ReadRequest(file);
                if (request.Kind == ControlRequest.CheckpointKind)
                {
                    checkpointIds.Add(id);
                    continue;
                }
                if (request.Kind != ControlRequest.MigrateKind)
                {
                    continue;
                }
                // The request's write time is when the operator (or the policy) asked; the signal follows at once.
                MigrationTrack track = Track(id);
                track.Add("signal", File.GetLastWriteTimeUtc(file));
                track.Rank ??= request.Rank;
            }
            catch (MittenException e)
            {
                Complain(e.Message);
            }
            catch (FileNotFoundException)
            {
                requestsSeen.Remove(id); // renamed to .taken while we looked; read it next time
            }
        }
    }

    private void TailEvents()
    {
        if (!File.Exists(job.EventsFile))
        {
            return;
        }
        using var stream = new FileStream(job.EventsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length < eventsOffset)
        {
            eventsOffset = 0; // replaced, not appended
            partialLine = [];
        }
        stream.Seek(eventsOffset, SeekOrigin.Begin);
        byte[] fresh = new byte[stream.Length - eventsOffset];
        stream.ReadExactly(fresh);
        eventsOffset += fresh.Length;
        byte[] data = [.. partialLine, .. fresh];
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                OnEventLine(data.AsSpan(start, i - start));
                start = i + 1;
            }
        }
        partialLine = data[start..];
        if (partialLine.Length > MaxEventLineBytes)
        {
            Complain($"{job.EventsFile}: a line over {MaxEventLineBytes} bytes; skipped");
            partialLine = [];
        }
    }

    private void OnEventLine(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Trim(" \t\r"u8).IsEmpty)
        {
            return;
        }
        if (bytes.Length > MaxEventLineBytes)
        {
            Complain($"{job.EventsFile}: a line over {MaxEventLineBytes} bytes; skipped");
            return;
        }
        ControlEvent e;
        try
        {
            e = ControlFiles.ParseEvent(Encoding.UTF8.GetString(bytes), job.EventsFile);
        }
        catch (MittenException error)
        {
            Complain(error.Message);
            return;
        }
        if (e.Event == "checkpoint")
        {
            // A checkpoint passes through the synchronization too: its earlier events are no migration's.
            if (e.Key is string key)
            {
                checkpointIds.Add(key);
                migrations.Remove(key);
            }
            log.LogInformation("Checkpoint {Checkpoint} epoch {Epoch}: {Outcome}", e.Key, e.Epoch, e.Outcome);
            return;
        }
        if (e.Event == "job_failed")
        {
            log.LogWarning("Rank {Rank} ended the job: a participant of {Migration} was lost past the point of rollback", e.Rank, e.Key ?? "a synchronization");
            journal.Record("job_failed", new JsonObject { ["rank"] = e.Rank, ["migration"] = e.Key });
            if (e.Key is not null && migrations.TryGetValue(e.Key, out MigrationTrack? failed))
            {
                failed.Add("job failed", e.Time.UtcDateTime);
            }
            return;
        }
        if (e.Key is null)
        {
            Complain($"{job.EventsFile}: {e.Event} event without a \"migration\" or \"request\" id");
            return;
        }
        if (checkpointIds.Contains(e.Key))
        {
            return;
        }
        MigrationTrack track = Track(e.Key);
        track.Rank ??= e.Rank;
        if (e.Event == "resumed")
        {
            // The replacement runs: its pid is the rank's new place (the timeline ends at the commit).
            if (e.Pid is int resumedPid)
            {
                track.CommittedTo ??= new ProcessLocation(track.Target, resumedPid);
            }
            return;
        }
        string phase = PhaseOf(e.Event);
        track.Add(phase, e.Time.UtcDateTime);
        log.LogDebug("Migration {Migration} rank {Rank}: {Phase} at +{OffsetMs} ms", e.Key, track.Rank, phase, track.OffsetMs(phase));
        if (e.Event == "migration_start" && e.To is { Length: > 0 } to)
        {
            track.Target ??= to;
        }
        if (e.Event == "migration_commit")
        {
            OnCommit(track, null);
        }
    }

    /// <summary>The timeline's phase names (brief: signal, synchronized, spawned, state sent, restored, committed).</summary>
    internal static string PhaseOf(string eventName) => eventName switch
    {
        "migration_start" => "started",
        "synchronized" => "synchronized",
        "spawned" => "spawned",
        "state_sent" => "state sent",
        "restore_complete" => "restored",
        "migration_commit" => "committed",
        "rollback" => "rolled back",
        "rejected" => "rejected",
        _ => eventName,
    };

    /// <summary>
    /// A commit was seen (the migration_commit event or the committed outcome). The location
    /// table takes the rank's new place from locations.json, which the job rewrites at the
    /// commit; the migrating process may announce the commit before the replacement rewrote
    /// it, so until the file names a new process for the rank the update waits for a later
    /// pass (the outcome's or the event's "to" is the fallback).
    /// </summary>
    private void OnCommit(MigrationTrack track, ProcessLocation? to)
    {
        if (track.LocationSettled)
        {
            return;
        }
        track.CommitSeen = true;
        if (to is { Pid: > 0, Host.Length: > 0 })
        {
            track.CommittedTo = to;
        }
        SettleLocation(track, final: false);
    }

    private void SettlePendingLocations()
    {
        foreach (MigrationTrack track in migrations.Values.Where(t => t.CommitSeen && !t.LocationSettled))
        {
            SettleLocation(track, final: false);
        }
    }

    private void SettleLocation(MigrationTrack track, bool final)
    {
        if (track.Rank is not int rank)
        {
            track.LocationSettled = true;
            return;
        }
        locations.TryGetValue(rank, out ProcessLocation? before);
        Dictionary<string, ProcessLocation>? table = null;
        if (File.Exists(job.LocationsFile))
        {
            try
            {
                table = ControlFiles.ReadLocations(job.LocationsFile);
            }
            catch (MittenException e)
            {
                Complain(e.Message);
            }
        }
        ProcessLocation? listed = table?.GetValueOrDefault(rank.ToString(System.Globalization.CultureInfo.InvariantCulture));
        bool tableMoved = listed is not null && (before is null || listed.Pid != before.Pid || !string.Equals(listed.Host, before.Host, StringComparison.OrdinalIgnoreCase));
        ProcessLocation? now = tableMoved ? listed : track.CommittedTo;
        if (now is null && !final)
        {
            return; // locations.json not rewritten yet: look again at the next pass
        }
        track.LocationSettled = true;
        if (tableMoved && table is not null)
        {
            foreach (var (key, value) in table)
            {
                if (int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int r))
                {
                    locations[r] = value;
                }
            }
        }
        if (now is null)
        {
            log.LogWarning("Migration {Migration} of rank {Rank} committed but no new location is known (locations.json unchanged)", track.Id, rank);
            return;
        }
        locations[rank] = now;
        log.LogInformation("Location table: rank {Rank} now on {Host} pid {Pid} (migration {Migration})", rank, now.Host, now.Pid, track.Id);
        journal.Record("locations", new JsonObject { ["migration"] = track.Id, ["locations"] = LocationsJson() });
    }

    private void ScanOutcomes()
    {
        bool eventsReread = false;
        foreach (string file in Directory.EnumerateFiles(job.MigrationsDirectory, "*.json"))
        {
            string id = Path.GetFileNameWithoutExtension(file);
            if (reported.Contains(id) || complained.Contains(file))
            {
                continue;
            }
            if (!eventsReread)
            {
                // The job appends its final event before it writes the outcome file, but this
                // pass may have read the events file just before that: read it again so the
                // summary has every phase.
                Guarded("events", TailEvents);
                eventsReread = true;
            }
            MigrationOutcomeDocument outcome;
            try
            {
                outcome = ControlFiles.ReadMigration(file);
            }
            catch (MittenException e)
            {
                Complain(e.Message);
                complained.Add(file);
                continue;
            }
            reported.Add(id);
            MigrationTrack track = Track(id);
            track.Rank ??= outcome.Rank;
            foreach (var (phase, time, _) in outcome.Timeline ?? [])
            {
                if (time is DateTimeOffset t)
                {
                    track.Add(phase, t.UtcDateTime, overwrite: false);
                }
            }
            string finalPhase = outcome.Outcome switch { MigrationOutcome.Committed => "committed", MigrationOutcome.RolledBack => "rolled back", _ => "rejected" };
            if (!track.Has(finalPhase))
            {
                track.Add(finalPhase, File.GetLastWriteTimeUtc(file)); // a job of an older version, or an event line lost
            }
            if (outcome.Outcome == MigrationOutcome.Committed)
            {
                OnCommit(track, outcome.To);
            }
            Summarize(track, outcome);
        }
    }

    private void Summarize(MigrationTrack track, MigrationOutcomeDocument? outcome)
    {
        if (track.Summarized)
        {
            return;
        }
        track.Summarized = true;
        string result = outcome is not null ? MigrationOutcomeConverter.Name(outcome.Outcome) : (track.Has("committed") ? "committed" : track.Has("rolled back") ? "rolled_back" : track.Has("rejected") ? "rejected" : track.Has("job failed") ? "job_failed" : "unfinished");
        string timeline = string.Join(", ", track.Ordered().Select(p => $"{p.Phase} +{track.OffsetMs(p.Phase)} ms"));
        string phases = outcome is null ? "" : string.Join(", ", (outcome.PhasesMs ?? []).Select(p => $"{p.Key} {p.Value:0.#} ms"));
        string jobTimeline = outcome is null ? "" : string.Join(", ", (outcome.Timeline ?? []).Where(p => p.Ms is not null).Select(p => $"{p.Phase} +{p.Ms:0.#} ms"));
        log.LogInformation("Migration {Migration} rank {Rank} {Outcome}{Reason}: timeline {Timeline}; job's timeline {JobTimeline}; phases {Phases}",
            track.Id, track.Rank, result, outcome?.Reason is { Length: > 0 } reason ? " (" + Names.Printable(reason, 200) + ")" : "", timeline, jobTimeline, phases);
        var entry = new JsonObject
        {
            ["migration"] = track.Id,
            ["rank"] = track.Rank,
            ["outcome"] = result,
            ["reason"] = outcome?.Reason,
            // Without an outcome file (a job that died mid-way), what the events said.
            ["from"] = outcome?.From is { } from ? ControlFiles.ToNode(from) : null,
            ["to"] = ControlFiles.ToNode(outcome?.To ?? track.CommittedTo ?? (track.Target is null ? null : new ProcessLocation(track.Target, null))),
            ["phases_ms"] = outcome?.PhasesMs is { } phasesMs ? ControlFiles.ToNode(phasesMs) : null,
            ["job_timeline"] = outcome?.Timeline is { } outcomeTimeline ? ControlFiles.ToNode(outcomeTimeline) : null,
            ["timeline"] = new JsonArray(track.Ordered().Select(p => (JsonNode?)new JsonObject
            {
                ["phase"] = p.Phase, ["time"] = Json.Time(new DateTimeOffset(p.Time, TimeSpan.Zero)), ["offset_ms"] = track.OffsetMs(p.Phase),
            }).ToArray()),
        };
        journal.Record("migration", entry);
    }

    private void ScanFailing()
    {
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string file in Directory.EnumerateFileSystemEntries(job.FailingDirectory))
        {
            string host = Path.GetFileName(file);
            if (!Names.IsHostName(host, out string why))
            {
                Complain($"{file}: '{Names.Printable(host)}' is not a host name ({why}); ignored");
                continue;
            }
            present.Add(host);
            if (failingSeen.Add(host))
            {
                journal.Record("host_failing", new JsonObject { ["host"] = host });
                failingHosts.Writer.TryWrite(host);
            }
        }
        // A host whose file was removed may be reported failing again later.
        failingSeen.IntersectWith(present);
    }

    private MigrationTrack Track(string id)
    {
        if (!migrations.TryGetValue(id, out MigrationTrack? track))
        {
            migrations[id] = track = new MigrationTrack(id);
        }
        return track;
    }

    /// <summary>A malformed input: said once (log and journal), never acted on.</summary>
    private void Complain(string message)
    {
        if (complained.Add(message))
        {
            log.LogWarning("Rejected: {Problem}", message);
            journal.Record("rejected_input", new JsonObject { ["problem"] = message });
        }
    }

    private JsonObject LocationsJson()
    {
        var o = new JsonObject();
        foreach (var (rank, where) in locations)
        {
            o[rank.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["host"] = where.Host, ["pid"] = where.Pid };
        }
        return o;
    }

    /// <summary>What the scheduler knows of one migration.</summary>
    private sealed class MigrationTrack(string id)
    {
        private readonly List<(string Phase, DateTime Time)> phases = [];

        public string Id { get; } = id;
        public int? Rank { get; set; }
        public bool Summarized { get; set; }
        public bool CommitSeen { get; set; }
        public bool LocationSettled { get; set; }
        public ProcessLocation? CommittedTo { get; set; }
        public string? Target { get; set; }

        public bool Has(string phase) => phases.Any(p => p.Phase == phase);

        public void Add(string phase, DateTime utc, bool overwrite = true)
        {
            int i = phases.FindIndex(p => p.Phase == phase);
            if (i >= 0)
            {
                if (overwrite)
                {
                    phases[i] = (phase, utc);
                }
                return;
            }
            phases.Add((phase, utc));
        }

        public IEnumerable<(string Phase, DateTime Time)> Ordered() => phases.OrderBy(p => p.Time);

        public long OffsetMs(string phase)
        {
            if (phases.Count == 0)
            {
                return 0;
            }
            DateTime first = phases.Min(p => p.Time);
            var (_, t) = phases.FirstOrDefault(p => p.Phase == phase);
            return t == default ? 0 : (long)(t - first).TotalMilliseconds;
        }
    }
}
