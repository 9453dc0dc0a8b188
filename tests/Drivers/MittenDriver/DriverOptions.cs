namespace Mitten.Tests.Drivers;

internal sealed record MigrationPlan(int Rank, int Iteration, string? Host);

internal sealed class DriverOptions
{
    public string Scenario { get; private init; } = "";
    public int Iterations { get; private init; } = 10;
    public List<MigrationPlan> Migrations { get; } = [];
    public int Seed { get; private init; } = 1;
    public int ComputeMilliseconds { get; private init; }
    public int DelayRank { get; private init; } = -1;
    public int DelayMilliseconds { get; private init; }
    public int RandomMigrations { get; private init; }
    public int CheckpointAt { get; private init; } = -1;
    public string CheckpointDirectory { get; private init; } = "";
    public int CrashAt { get; private init; } = -1;

    /// <summary>Calls: in this iteration rank 0 sends rank 1 a message larger than the buffer rank 1 receives it into (after its next migration point).</summary>
    public int TruncateAt { get; private init; } = -1;

    /// <summary>Derived-blocked: in this iteration row rank 0 starts an Ibarrier on its row before its blocked receive (row rank 1 starts it after its next migration point).</summary>
    public int NbcAcross { get; private init; } = -1;

    /// <summary>Blocked: rank 1 waits across its migration point only in iterations below this one.</summary>
    public int BlockedUntil { get; private init; } = int.MaxValue;

    /// <summary>Transit: receive with non-blocking receives (all posted, then waited in reverse order).</summary>
    public bool NonBlockingReceives { get; private init; }

    /// <summary>Transit: the point-to-point traffic on a derived communicator (a Split of the session's, ranks in reverse order) made before the loop.</summary>
    public bool OnSplit { get; private init; }

    /// <summary>Transit: register an ActivityListener and give the session a logger (see TelemetryProbe).</summary>
    public bool Telemetry { get; private init; }

    /// <summary>
    /// Transit: pass a token around the ring each iteration, its receive posted before the
    /// migration point and waited after it (outstanding across it), on every rank except this
    /// one (-1: on every rank; -2: off), which posts it after its migration point.
    /// </summary>
    public int TokenReceiveExceptRank { get; private init; } = -2;

    /// <summary>Adds N migrations of random ranks at random iterations drawn from the seed (same on every process, replacements included).</summary>
    public void DrawRandomMigrations(int ranks)
    {
        var random = new Random(Seed);
        for (int m = 0; m < RandomMigrations; m++)
        {
            Migrations.Add(new MigrationPlan(random.Next(ranks), 1 + random.Next(Iterations - 2), null));
        }
    }

    public static DriverOptions Parse(string[] args)
    {
        var options = new DriverOptions { Scenario = args.Length > 0 ? args[0] : "" };
        int blockedUntil = int.MaxValue;
        int iterations = 10, seed = 1, compute = 0, delayRank = -1, delayMs = 0, randomMigrations = 0, checkpointAt = -1, crashAt = -1, truncateAt = -1;
        string checkpointDir = "";
        bool irecv = false, telemetry = false, onSplit = false;
        int tokenExcept = -2, nbcAcross = -1;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iterations": iterations = int.Parse(args[++i]); break;
                case "--seed": seed = int.Parse(args[++i]); break;
                case "--compute-ms": compute = int.Parse(args[++i]); break;
                case "--delay-rank": delayRank = int.Parse(args[++i]); break;
                case "--delay-ms": delayMs = int.Parse(args[++i]); break;
                case "--random-migrations": randomMigrations = int.Parse(args[++i]); break;
                case "--checkpoint":
                    string[] cp = args[++i].Split(':', 2);
                    checkpointAt = int.Parse(cp[0]);
                    checkpointDir = cp[1];
                    break;
                case "--crash-at": crashAt = int.Parse(args[++i]); break;
                case "--truncate-at": truncateAt = int.Parse(args[++i]); break;
                case "--nbc-across": nbcAcross = int.Parse(args[++i]); break;
                case "--irecv": irecv = true; break;
                case "--on-split": onSplit = true; break;
                case "--telemetry": telemetry = true; break;
                case "--blocked-until": blockedUntil = int.Parse(args[++i]); break;
                case "--token-across-except": tokenExcept = int.Parse(args[++i]); break;
                case "--migrate":
                    string[] parts = args[++i].Split('@', ':');
                    options.Migrations.Add(new MigrationPlan(int.Parse(parts[0]), int.Parse(parts[1]), parts.Length > 2 ? parts[2] : null));
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new DriverOptions { Scenario = options.Scenario, Iterations = iterations, Seed = seed, ComputeMilliseconds = compute, DelayRank = delayRank, DelayMilliseconds = delayMs, RandomMigrations = randomMigrations, CheckpointAt = checkpointAt, CheckpointDirectory = checkpointDir, CrashAt = crashAt, NonBlockingReceives = irecv, Telemetry = telemetry, TokenReceiveExceptRank = tokenExcept, BlockedUntil = blockedUntil, TruncateAt = truncateAt, NbcAcross = nbcAcross, OnSplit = onSplit }.With(options.Migrations);
    }

    private DriverOptions With(List<MigrationPlan> plans)
    {
        Migrations.AddRange(plans);
        return this;
    }
}
