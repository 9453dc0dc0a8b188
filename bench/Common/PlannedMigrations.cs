namespace Mitten.Bench.Common;

/// <summary>
/// The migration point of a benchmark's timed iteration, with injected migrations
/// (<see cref="MigrationPlan"/>): the moving rank asks for itself just before the migration
/// point of the planned iteration, so the move starts there (it completes at the group's
/// global superstep, this iteration or the next). On a replacement, the first call is the one
/// its predecessor stopped in: that request was already made.
/// </summary>
public sealed class PlannedMigrations<TState> where TState : class
{
    private readonly MittenSession<TState> session;
    private readonly MigrationPlan[] plans;
    private bool resumedCallPending;

    /// <summary>Migration points of <paramref name="session"/> that make the requests of <paramref name="plans"/>.</summary>
    public PlannedMigrations(MittenSession<TState> session, IReadOnlyList<MigrationPlan> plans)
    {
        this.session = session;
        this.plans = [.. plans];
        resumedCallPending = session.IsReplacement;
    }

    /// <summary>The migration point at the top of timed iteration <paramref name="iteration"/>.</summary>
    public void MigrationPoint(int iteration)
    {
        if (resumedCallPending)
        {
            resumedCallPending = false;
            session.MigrationPoint();
            return;
        }
        foreach (MigrationPlan plan in plans)
        {
            if (plan.Iteration == iteration && plan.Rank == session.Rank)
            {
                session.RequestMigration(plan.Rank, plan.Host);
            }
        }
        session.MigrationPoint();
    }
}
