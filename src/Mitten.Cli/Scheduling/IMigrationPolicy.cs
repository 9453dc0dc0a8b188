using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>
/// The scheduler's decision hook for proactive migration. The scheduler calls it, one call at
/// a time, for what it observes; the policy acts through the same requests as an operator.
/// </summary>
internal interface IMigrationPolicy
{
    /// <summary>A host was reported failing (the file <c>failing/&lt;host&gt;</c> appeared).</summary>
    Task OnHostFailingAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The default policy: drain a failing host, exactly as <c>mitten drain</c> does.</summary>
internal sealed class DrainFailingHostPolicy(JobDirectory job, SchedulerJournal journal, SchedulerSettings settings, ILogger<DrainFailingHostPolicy> log)
    : IMigrationPolicy
{
    public async Task OnHostFailingAsync(string host, CancellationToken cancellationToken)
    {
        log.LogWarning("Host {Host} reported failing: draining it", host);
        journal.Record("policy", new JsonObject { ["action"] = "drain", ["host"] = host });
        var operations = new JobOperations(message => log.LogInformation("{Message}", message));
        try
        {
            List<MigrationResult> results = await operations.DrainAsync(job, host, settings.MigrationTimeout, result =>
            {
                log.LogInformation("Drain of {Host}: {Result}", host, result.Describe());
                journal.Record("policy", new JsonObject
                {
                    ["action"] = "drain_rank", ["host"] = host, ["rank"] = result.Rank, ["to"] = result.To, ["migration"] = result.RequestId,
                    ["outcome"] = result.Outcome is { } o ? MigrationOutcomeConverter.Name(o.Outcome) : "error", ["reason"] = result.Outcome?.Reason ?? result.Signal,
                }.AsObject());
            }, cancellationToken);
            int moved = results.Count(r => r.Outcome?.Outcome == MigrationOutcome.Committed);
            log.LogInformation("Drain of {Host} done: {Moved} of {Count} ranks moved", host, moved, results.Count);
            journal.Record("policy", new JsonObject { ["action"] = "drain_done", ["host"] = host, ["moved"] = moved, ["ranks"] = results.Count });
        }
        catch (MittenException e)
        {
            log.LogError("Drain of {Host} failed: {Reason}", host, e.Message);
            journal.Record("policy", new JsonObject { ["action"] = "drain_failed", ["host"] = host, ["reason"] = e.Message });
        }
    }
}

/// <summary>Settings of the per-job scheduler.</summary>
internal sealed record SchedulerSettings(TimeSpan MigrationTimeout, TimeSpan ScanInterval);
