using System.Text.Json.Nodes;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Scheduling;

/// <summary><c>scheduler.jsonl</c> in the job directory: one JSON object per line, owner-only.</summary>
internal sealed class SchedulerJournal(JobDirectory job)
{
    private readonly Lock gate = new();

    public void Record(string kind, JsonObject fields)
    {
        var entry = new JsonObject { ["time"] = Json.Time(DateTimeOffset.UtcNow), ["kind"] = kind };
        foreach (var (k, v) in fields)
        {
            entry[k] = v?.DeepClone();
        }
        lock (gate)
        {
            AtomicFile.AppendLine(job.SchedulerLog, System.Text.Encoding.UTF8.GetBytes(entry.ToJsonString(Json.Compact)));
        }
    }
}
