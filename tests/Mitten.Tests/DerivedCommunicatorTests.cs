using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Derived communicators (Dup, Split, Create, Cartesian grids and sub-grids, Free) and the
/// non-blocking collectives through the migration layer (MittenDriver's derived scenario, real
/// mpiexec jobs): every rank checks every result against values computed locally, and runs with
/// migrations in the middle of the row/column/split/dup traffic give the unmigrated run's checksums.
/// </summary>
public partial class DerivedCommunicatorTests
{
    private const string Scenario = "derived --iterations 8";
    private const string BlockedScenario = "derived-blocked --iterations 8";

    private static MpiJob Run(int ranks, string arguments) =>
        MpiJob.Run(ranks, MpiJob.Driver("MittenDriver"), arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(240));

    private static readonly Dictionary<string, MpiJob> Baselines = [];

    /// <summary>The unmigrated run of <paramref name="scenario"/> on <paramref name="ranks"/> ranks (run once per test class instance set).</summary>
    private static MpiJob Baseline(int ranks, string scenario)
    {
        string key = $"{ranks} {scenario}";
        lock (Baselines)
        {
            if (!Baselines.TryGetValue(key, out MpiJob? job))
            {
                job = Run(ranks, scenario);
                JobAssert.Clean(job, 5 * ranks);
                JobAssert.OkOnRanks(job, "derived-ok", ranks);
                Baselines[key] = job;
            }
            return job;
        }
    }

    private static List<string> Results(MpiJob job) =>
        ResultLine().Matches(job.Stdout).Select(m => m.Value.Trim()).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Without_migration_grids_splits_dups_creates_frees_and_nonblocking_collectives_give_the_expected_values()
    {
        var job = Baseline(4, Scenario);
        Assert.Equal(4, Results(job).Count);
        JobAssert.OkOnRanks(job, "derived-freed-before", 4);
        JobAssert.OkOnRanks(job, "derived-freed-refused", 4);
        JobAssert.OkOnRanks(job, "derived-sub-membership", 4);
        // The rule for non-blocking collectives: in progress at a migration point is an error there.
        JobAssert.OkOnRanks(job, "nbc-outstanding-refused", 4);
        foreach (string check in new[] { "finished-group-bcast-refused", "finished-group-reduce-refused", "finished-dup-allreduce-refused", "finished-grid-barrier-refused" })
        {
            JobAssert.OkOnRanks(job, check, 4);
        }
        Assert.Contains("reached a migration point with 1 non-blocking collective(s) in progress (Ibarrier)", job.Stdout);
    }

    [Fact]
    public void Ranks_moved_in_the_middle_of_row_column_split_and_dup_traffic_give_the_unmigrated_results()
    {
        var expected = Baseline(4, Scenario);
        // Rank 1 moves twice (its second replacement rebuilds what the first rebuilt, including a
        // communicator the program freed after the first move and one made after the first
        // migration point, found by its id); rank 2 moves in between. Messages on the group, on
        // the Dup (same tag) and on the split are in transit at every migration point.
        var job = Run(4, Scenario + " --migrate 1@1 --migrate 2@3 --migrate 1@5");
        JobAssert.Succeeded(job, 5 * 4);
        JobAssert.OkOnRanks(job, "derived-ok", 4);
        Assert.Equal(Results(expected), Results(job));
        // The history printed at the end is the last process's: rank 1's second move (the first replacement left).
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=2 ")));
        Assert.Equal(2, job.LinesStartingWith("REPLACEMENT rank=1 ").Count());
        Assert.Single(job.LinesStartingWith("REPLACEMENT rank=2 "));
    }

    [Fact]
    public void On_six_ranks_a_3x2_grid_survives_migrations_of_a_corner_and_an_inner_rank()
    {
        var expected = Baseline(6, Scenario);
        var job = Run(6, Scenario + " --migrate 0@2 --migrate 3@4");
        JobAssert.Succeeded(job, 5 * 6);
        JobAssert.OkOnRanks(job, "derived-ok", 6);
        Assert.Equal(Results(expected), Results(job));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=0 ")));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=3 ")));
    }

    [Fact]
    public void A_rank_blocked_in_a_receive_on_its_row_takes_part_in_migrations_and_cannot_move_itself()
    {
        var expected = Baseline(4, BlockedScenario);
        // Row rank 0 (ranks 0 and 2) ends every iteration blocked in a receive on its row from row
        // rank 1, which sends only after its next migration point: it is woken through its peer's
        // group rank and repeats the receive on the rebuilt row; its own migration is rolled back.
        var job = Run(4, BlockedScenario + " --migrate 3@1 --migrate 0@3 --migrate 1@4");
        JobAssert.Succeeded(job, 5 * 4);
        JobAssert.OkOnRanks(job, "derived-ok", 4);
        Assert.Equal(Results(expected), Results(job));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=3 ")));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Contains("RolledBack (rank 0 is blocked in a receive with rank 1 that can only complete after the others' next migration point)",
            Assert.Single(job.LinesStartingWith("MIGRATION rank=0 ")));
    }

    [Fact]
    public void A_migration_while_a_rank_is_blocked_with_a_nonblocking_collective_in_progress_rolls_back_with_the_rule()
    {
        var expected = Baseline(4, BlockedScenario);
        // Rank 0 starts an Ibarrier on its row and blocks in a receive that rank 1 satisfies only
        // after its next migration point, where rank 1's migration starts: the collective would
        // span the old and the new row, so the leader rolls the migration back with that reason.
        var job = Run(4, BlockedScenario + " --nbc-across 2 --migrate 1@2");
        JobAssert.Succeeded(job, 5 * 4);
        JobAssert.OkOnRanks(job, "derived-ok", 4);
        Assert.Equal(Results(expected), Results(job));
        string rank1 = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("RolledBack (rank 0 has 1 non-blocking collective(s) (Ibarrier, Ibcast, Iallreduce) not yet completed", rank1);
    }

    [GeneratedRegex(@"RESULT rank=\d+ checksum=-?\d+")]
    private static partial Regex ResultLine();
}
