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
internal sealed partial class JobScheduler(
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
}
