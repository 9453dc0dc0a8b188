using System.Globalization;

namespace Mitten.Bench.Soak;

/// <summary>
/// A soak job's parameters, all derived from one seed (so <c>--seed S</c> alone reproduces a
/// job): rank count (3 to 8), iterations, the migration requests (bursts of 1 to 3 at random
/// iterations, from random ranks, self-requests included) and the traffic limits. Options
/// given on the command line override the derived values.
/// </summary>
internal sealed class SoakShape
{
    public required ulong Seed { get; init; }
    public required int Ranks { get; init; }
    public required int Iterations { get; init; }
    public required int RequestCount { get; init; }
    public int MessagesPerRank { get; init; } = 3;
    public int MaxBytes { get; init; } = 1 << 20;
    /// <summary>Issue no migration request (the reference run).</summary>
    public bool NoMigrations { get; init; }
    /// <summary>Where each rank writes its logs (issued requests, errors, progress, final result).</summary>
    public string LogDirectory { get; init; } = ".";

    private readonly Dictionary<int, Dictionary<int, List<PlannedRequest>>> schedules = [];

    /// <summary>The shape for <c>--seed</c> (default 1), with the overrides among <paramref name="args"/> from <paramref name="start"/> on.</summary>
    public static SoakShape Parse(string[] args, int start)
    {
        var options = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        for (int i = start; i < args.Length; i++)
        {
            if (args[i] == "--no-migrations")
            {
                flags.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        foreach (string key in options.Keys)
        {
            if (key is not ("--seed" or "--ranks" or "--iterations" or "--requests" or "--messages-per-rank" or "--max-bytes" or "--log-dir"))
            {
                throw new ArgumentException($"unknown option {key}");
            }
        }
        ulong seed = ulong.Parse(options.GetValueOrDefault("--seed", "1"), CultureInfo.InvariantCulture);
        var random = new SoakRandom(SoakRandom.Hash(seed, 0x5A4E));
        int ranks = random.Between(3, 8);
        int iterations = random.Between(40, 80);
        int requests = random.Between(8, 16);
        int Int(string key, int fallback) => options.TryGetValue(key, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new SoakShape
        {
            Seed = seed,
            Ranks = Int("--ranks", ranks),
            Iterations = Int("--iterations", iterations),
            RequestCount = Int("--requests", requests),
            MessagesPerRank = Int("--messages-per-rank", 3),
            MaxBytes = Int("--max-bytes", 1 << 20),
            NoMigrations = flags.Contains("--no-migrations"),
            LogDirectory = options.GetValueOrDefault("--log-dir", "."),
        };
    }

    /// <summary>The migration requests issued at <paramref name="iteration"/> in a job of <paramref name="size"/> ranks.</summary>
    public IReadOnlyList<PlannedRequest> RequestsAt(int iteration, int size)
    {
        if (NoMigrations)
        {
            return [];
        }
        if (!schedules.TryGetValue(size, out var schedule))
        {
            schedule = [];
            var random = new SoakRandom(SoakRandom.Hash(Seed, 0x4E9, (ulong)size));
            int remaining = RequestCount;
            while (remaining > 0)
            {
                int burst = Math.Min(remaining, random.Between(1, 3));
                int at = random.Between(1, Math.Max(1, Iterations - 1));
                if (!schedule.TryGetValue(at, out var list))
                {
                    schedule[at] = list = [];
                }
                for (int b = 0; b < burst; b++)
                {
                    list.Add(new PlannedRequest(random.Next(size), random.Next(size)));
                }
                remaining -= burst;
            }
            schedules[size] = schedule;
        }
        return schedule.TryGetValue(iteration, out var requests) ? requests : [];
    }

    /// <summary>One line for the script: the derived parameters.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"seed={Seed} ranks={Ranks} iterations={Iterations} requests={RequestCount} messages_per_rank={MessagesPerRank} max_bytes={MaxBytes}");
}
