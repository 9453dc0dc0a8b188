using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>The timeline of each migration: phases from events and outcomes, the location table at each commit, the summary in the log and the journal.</summary>
internal sealed partial class JobScheduler
{
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
