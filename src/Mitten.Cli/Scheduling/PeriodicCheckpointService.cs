using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary>How often <c>mitten run --checkpoint-every</c> asks for a checkpoint.</summary>
internal sealed record PeriodicCheckpointSettings(TimeSpan Interval);

/// <summary>
/// Asks the job for a coordinated checkpoint every interval (the code of <c>mitten
/// checkpoint</c>), waiting for each before the next interval starts. A checkpoint that fails
/// or times out is logged and journaled; the job goes on either way.
/// </summary>
internal sealed class PeriodicCheckpointService(
    JobDirectory job, PeriodicCheckpointSettings settings, SchedulerJournal journal, ILogger<PeriodicCheckpointService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var operations = new JobOperations();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(settings.Interval, stoppingToken);
                if (!ControlFiles.ReadRanks(job).Reports.TryGetValue(0, out RankStatus? root) || root.IsFinished)
                {
                    continue; // not started yet, or ending
                }
                try
                {
                    // The timeout bounds one checkpoint; the next interval starts after it.
                    var (id, outcome) = await operations.CheckpointAsync(job, null, settings.Interval + TimeSpan.FromSeconds(60), stoppingToken);
                    log.LogInformation("Periodic checkpoint {Checkpoint}: {Outcome} epoch {Epoch}", id, outcome.Outcome, outcome.Epoch);
                    journal.Record("periodic_checkpoint", new System.Text.Json.Nodes.JsonObject
                    {
                        ["checkpoint"] = id, ["outcome"] = outcome.Outcome, ["reason"] = outcome.Reason,
                    });
                }
                catch (MittenException e)
                {
                    if (!ControlFiles.ReadJob(job).IsRunning)
                    {
                        return;
                    }
                    log.LogWarning("Periodic checkpoint failed: {Reason}", e.Message);
                    journal.Record("periodic_checkpoint", new System.Text.Json.Nodes.JsonObject { ["outcome"] = "error", ["reason"] = e.Message });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
