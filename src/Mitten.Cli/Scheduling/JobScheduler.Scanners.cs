using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>The scanners: one pass over each thing the job writes (ranks/, requests/, events.jsonl, migrations/, failing hosts).</summary>
internal sealed partial class JobScheduler
{
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
}
