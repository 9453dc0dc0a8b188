using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mitten.ControlDirectory;

/// <summary><c>job.json</c> (runtime), and the copy <c>mitten-job.json</c> in a checkpoint directory.</summary>
internal sealed record JobDocument
{
    public const string RunningState = "running";
    public const string FinishedState = "finished";

    /// <summary>Version of the contract this document follows (docs/CONTROL.md); absent means 1.</summary>
    public int? SchemaVersion { get; init; } = ControlLayout.SchemaVersion;
    public required string Id { get; init; }
    public required int Ranks { get; init; }
    public required string Program { get; init; }
    public string[] Args { get; init; } = [];
    public string[] Hosts { get; init; } = [];
    public required DateTimeOffset Started { get; init; }
    public int? MpiexecPid { get; init; }
    public required string State { get; init; }
    public int? ExitCode { get; init; }
    public string? RestartDir { get; init; }
    public DateTimeOffset? Finished { get; init; }
    /// <summary>The name given with <c>mitten run --name</c>.</summary>
    public string? Name { get; init; }
    /// <summary>In <c>mitten-job.json</c>: the checkpoint request id.</summary>
    public string? Checkpoint { get; init; }
    /// <summary>In <c>mitten-job.json</c>: the checkpoint's epoch.</summary>
    public long? Epoch { get; init; }

    [JsonIgnore]
    public bool IsRunning => State == RunningState;

    public string? Problem() =>
        State is not (RunningState or FinishedState) ? $"state '{Names.Printable(State)}' is not running or finished"
        : Ranks is < 1 or > 1_000_000 ? $"ranks {Ranks} out of range"
        : null;
}

/// <summary><c>ranks/&lt;rank&gt;.json</c>: what a rank last reported about itself.</summary>
internal sealed record RankStatus
{
    public static readonly string[] States = ["running", "synchronizing", "migrating", "finished"];

    public required int Rank { get; init; }
    public required string Host { get; init; }
    public required int Pid { get; init; }
    public long Superstep { get; init; }
    public required string State { get; init; }
    public DateTimeOffset? Updated { get; init; }

    [JsonIgnore]
    public bool IsFinished => State == "finished";

    public string? Problem() =>
        !States.Contains(State) ? $"state '{Names.Printable(State)}' is not one of {string.Join("|", States)}"
        : !Names.IsHostName(Host, out string why) ? $"host '{Names.Printable(Host)}' is not a host name ({why})"
        : Rank < 0 || Pid <= 0 ? "rank or pid out of range"
        : null;
}

/// <summary><c>requests/&lt;id&gt;.json</c>: an operator's request (<c>migrate</c> or <c>checkpoint</c>).</summary>
internal sealed record ControlRequest
{
    public const string MigrateKind = "migrate";
    public const string CheckpointKind = "checkpoint";

    public required string Id { get; init; }
    public required string Kind { get; init; }
    /// <summary>migrate: the rank to move.</summary>
    public int? Rank { get; init; }
    /// <summary>migrate: destination host; null (written as null) lets the job choose.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? To { get; init; }
    /// <summary>checkpoint: absolute directory; null means <c>&lt;job dir&gt;/checkpoints/&lt;id&gt;</c>.</summary>
    public string? Dir { get; init; }

    /// <summary>What is wrong with the request for a job of <paramref name="size"/> ranks, or null.</summary>
    public string? Problem(int size)
    {
        if (!Names.IsRequestId(Id))
        {
            return "missing or malformed id";
        }
        if (Kind == CheckpointKind)
        {
            return Dir is not null && !Names.IsAcceptablePath(Dir, out string why) ? $"the checkpoint directory is not acceptable ({why})" : null;
        }
        if (Kind != MigrateKind)
        {
            return $"unknown kind '{Names.Printable(Kind)}'";
        }
        if (Rank is not int rank || rank < 0 || rank >= size)
        {
            return $"rank {Rank?.ToString(CultureInfo.InvariantCulture) ?? "(none)"} does not exist (0..{size - 1})";
        }
        return To is not null && !Names.IsHostName(To, out string bad) ? $"'{Names.Printable(To)}' is not a valid host name ({bad})" : null;
    }
}

/// <summary>A process: host and pid (pid absent when there is none, e.g. the target of a rolled-back move).</summary>
internal sealed record ProcessLocation(string? Host = null, int? Pid = null)
{
    public override string ToString() =>
        Pid is int pid ? $"{Host ?? "?"} (pid {pid.ToString(CultureInfo.InvariantCulture)})" : Host ?? "?";
}

/// <summary>One phase of a migration's timeline: absolute <c>time</c> or <c>ms</c> since the migration began.</summary>
internal sealed record TimelineEntry(string Phase, DateTimeOffset? Time = null, double? Ms = null);

/// <summary><c>migrations/&lt;id&gt;.json</c>: the job's account of one migration.</summary>
internal sealed record MigrationOutcomeDocument
{
    public required string Id { get; init; }
    public required int Rank { get; init; }
    [JsonConverter(typeof(MigrationOutcomeConverter))]
    public required MigrationOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public ProcessLocation? From { get; init; }
    public ProcessLocation? To { get; init; }
    [JsonPropertyName("phases_ms")]
    public Dictionary<string, double>? PhasesMs { get; init; }
    public List<TimelineEntry>? Timeline { get; init; }
}

/// <summary><c>checkpoints/&lt;id&gt;.json</c>: the job's account of one checkpoint.</summary>
internal sealed record CheckpointOutcomeDocument
{
    public const string Written = "written";
    public const string Failed = "failed";

    public required string Id { get; init; }
    public required string Outcome { get; init; }
    public long? Epoch { get; init; }
    public string? Dir { get; init; }
    public string? Reason { get; init; }
    /// <summary>The program's superstep (iteration) when the checkpoint was taken, when known.</summary>
    public long? Superstep { get; init; }

    public string? Problem() => Outcome is Written or Failed ? null : $"outcome '{Names.Printable(Outcome)}' is not written or failed";
}

/// <summary>
/// One line of <c>events.jsonl</c>. <see cref="Key"/> names the migration: the request id
/// (<c>request</c>, or <c>migration</c> when it is a string), else the job's own migration
/// number as <c>#n</c>.
/// </summary>
internal sealed record ControlEvent
{
    public required DateTimeOffset Time { get; init; }
    public int? Rank { get; init; }
    public required string Event { get; init; }
    /// <summary>The job's migration number, or a request id string.</summary>
    public JsonElement? Migration { get; init; }
    public string? Request { get; init; }
    /// <summary>migration_start: the target host.</summary>
    public string? To { get; init; }
    /// <summary>resumed: the replacement's pid.</summary>
    public int? Pid { get; init; }
    /// <summary>state_sent: bytes of state.</summary>
    public long? Bytes { get; init; }
    /// <summary>checkpoint: epoch and outcome.</summary>
    public long? Epoch { get; init; }
    public string? Outcome { get; init; }
    /// <summary>Fields of a later version, kept as they are.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; } // settable: System.Text.Json binds extension data only to a settable property

    [JsonIgnore]
    public string? Key =>
        Request ?? Migration switch
        {
            { ValueKind: JsonValueKind.String } m => m.GetString(),
            { ValueKind: JsonValueKind.Number } m when m.TryGetInt64(out long n) => "#" + n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };

    public string? Problem()
    {
        if (!ControlLayout.Events.Contains(Event))
        {
            return $"event '{Names.Printable(Event)}' is not one of the contract's events";
        }
        if (Migration is { ValueKind: not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null) })
        {
            return "\"migration\" is not a string or a number";
        }
        string? key = Key;
        if (key is not null && !(Names.IsRequestId(key) || (key.StartsWith('#') && key.Length > 1)))
        {
            return $"migration id '{Names.Printable(key)}' is malformed";
        }
        return null;
    }
}

/// <summary>The extra fields a job adds to an event (parsed from the job side's fragment).</summary>
internal sealed record EventDetails
{
    public string? To { get; init; }
    public int? Pid { get; init; }
    public long? Bytes { get; init; }
    public long? Epoch { get; init; }
    public string? Outcome { get; init; }
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; } // settable: System.Text.Json binds extension data only to a settable property
}
