using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Bench.Common;

/// <summary>
/// What a benchmark's migratable run does around its kernel, the same for IS and MG: start the
/// session (a bad problem is one line and exit code 2), report the migrations a replacement
/// took part in, refuse plans outside the job, and announce the run.
/// </summary>
public static class MigratableRun
{
    /// <summary>
    /// Starts the session; when the initial state cannot be made (<see cref="ArgumentException"/>),
    /// rank 0 prints "<paramref name="benchmark"/>: message", MPI is finalized and null is returned (exit code 2).
    /// </summary>
    public static MittenSession<TState>? Start<TState>(string benchmark, Func<TState> createInitialState, IStateCodec<TState> codec)
        where TState : class
    {
        try
        {
            return MittenSession<TState>.Start(createInitialState, codec);
        }
        catch (ArgumentException e)
        {
            if (Mpi.World.Rank == 0)
            {
                Console.Error.WriteLine(benchmark + ": " + e.Message);
            }
            Mpi.Finalize();
            return null;
        }
    }

    /// <summary>
    /// On a replacement, one MIGRATION line per migration it took part in; then whether every plan
    /// names a rank of the job and an iteration of 1..<paramref name="iterations"/> (if not, rank 0
    /// says so and the session is finished: the caller returns 2).
    /// </summary>
    public static bool Begin<TState>(string benchmark, MittenSession<TState> session, IReadOnlyList<MigrationPlan> plans, int iterations, int iteration)
        where TState : class
    {
        if (session.IsReplacement)
        {
            foreach (MigrationReport report in session.MigrationHistory)
            {
                PrintMigration(report, iteration);
            }
        }
        foreach (MigrationPlan plan in plans)
        {
            if (plan.Rank >= session.Size || plan.Iteration < 1 || plan.Iteration > iterations)
            {
                if (session.Rank == 0 && !session.IsReplacement)
                {
                    Console.Error.WriteLine($"{benchmark}: --migrate {plan.Rank}@{plan.Iteration}: ranks are 0..{session.Size - 1}, iterations 1..{iterations}");
                }
                session.Finish();
                return false;
            }
        }
        return true;
    }

    /// <summary>Rank 0's line under the benchmark's header: the run goes through Mitten, with these migrations.</summary>
    public static void Announce(IReadOnlyList<MigrationPlan> plans)
    {
        Console.WriteLine(" Running through Mitten" + (plans.Count > 0
            ? ": migrations " + string.Join(", ", plans.Select(p => $"rank {p.Rank} at iteration {p.Iteration}{(p.Host is null ? "" : " to " + p.Host)}"))
            : ""));
        Console.Out.Flush();
    }

    /// <summary>One line per migration, on the replacement: the report and every phase in milliseconds.</summary>
    public static void PrintMigration(MigrationReport report, int iteration)
    {
        var line = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"MIGRATION rank={report.Rank} id={report.Id} iteration={iteration} outcome={report.Outcome} from={report.FromHost} to={report.ToHost} signal_ms=0"));
        foreach (var (phase, seconds) in report.Timeline)
        {
            line.Append(string.Create(CultureInfo.InvariantCulture, $" {phase}_ms={seconds * 1000:F1}"));
        }
        line.Append(string.Create(CultureInfo.InvariantCulture, $" protocol_ms={report.ProtocolSeconds * 1000:F3} freeze_wait_ms={report.FreezeWaitSeconds * 1000:F3} lock_wait_ms={report.LockWaitSeconds * 1000:F3} state_bytes={report.StateBytes}"));
        Console.WriteLine(line);
        Console.WriteLine("MIGRATION report: " + report);
        Console.Out.Flush();
    }
}
