namespace Mitten.ControlDirectory;

/// <summary>Where each file of a job's control directory lives, and the contract's fixed vocabularies.</summary>
internal static class ControlLayout
{
    /// <summary>The contract version written as <c>schemaVersion</c> (docs/CONTROL.md).</summary>
    public const int SchemaVersion = 1;

    /// <summary>The environment variable naming the job directory in every rank.</summary>
    public const string JobDirVariable = "MITTEN_JOB_DIR";

    /// <summary>The environment variable naming the checkpoint a restarted job restores from.</summary>
    public const string RestartDirVariable = "MITTEN_RESTART_DIR";

    public const string JobFile = "job.json";
    public const string RanksDirectory = "ranks";
    public const string RequestsDirectory = "requests";
    public const string MigrationsDirectory = "migrations";
    public const string CheckpointsDirectory = "checkpoints";
    public const string FailingDirectory = "failing";
    public const string EventsFile = "events.jsonl";
    public const string LocationsFile = "locations.json";
    public const string SchedulerJournal = "scheduler.jsonl";
    /// <summary>In a checkpoint directory: the job description written by the runtime after a checkpoint.</summary>
    public const string CheckpointNote = "mitten-job.json";

    /// <summary>Every event name of <c>events.jsonl</c>.</summary>
    public static readonly string[] Events =
    [
        "migration_start", "synchronized", "spawned", "state_sent", "restore_complete", "migration_commit", "spare_replenished", "resumed",
        "rollback", "rejected", "checkpoint", "job_failed",
    ];

    /// <summary>The sub-folders a job directory has.</summary>
    public static readonly string[] Subdirectories = [RanksDirectory, RequestsDirectory, MigrationsDirectory, CheckpointsDirectory, FailingDirectory];
}
