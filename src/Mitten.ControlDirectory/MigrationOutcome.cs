namespace Mitten;

/// <summary>How a migration ended (in the control directory: <c>committed</c>, <c>rolled_back</c>, <c>rejected</c>).</summary>
public enum MigrationOutcome
{
    /// <summary>The replacement took over the rank; the old process exited.</summary>
    Committed,
    /// <summary>The migration was abandoned before the commit; the old process kept its rank.</summary>
    RolledBack,
    /// <summary>The request was refused before anything started.</summary>
    Rejected,
}
