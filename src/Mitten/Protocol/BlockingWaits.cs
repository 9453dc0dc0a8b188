using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// How a blocked receive waits. With Open MPI on x86-64 Linux it waits in MPI_Wait, at
/// MPI_Recv's cost per message, and a native hook in Open MPI's progress loop cancels it when
/// the migrating process sets this rank's SYNC flag (<see cref="InterruptibleWait"/>); the
/// receive then takes part in the synchronization and is posted again, as a polled one would be.
/// Otherwise, or with <c>MITTEN_INTERRUPTIBLE_WAIT=0</c>, it polls MPI_Test and reads the flag
/// between the tests (measured: 7-13 ns more per message than MPI_Recv, bench/RESULTS.md ovh19).
/// </summary>
internal static class BlockingWaits
{
    /// <summary>The setting that turns the interruptible wait off (value "0").</summary>
    internal const string Variable = "MITTEN_INTERRUPTIBLE_WAIT";

    /// <summary>Installs the hook (once per process, after MPI_Init); whether receives may wait with it. <paramref name="rank"/> names the process in the trace.</summary>
    internal static bool Install(int rank)
    {
        if (Environment.GetEnvironmentVariable(Variable) == "0")
        {
            return false;
        }
        if (InterruptibleWait.TryInstall(out string? reason))
        {
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(rank, "blocked receives wait in MPI_Wait, interrupted by the SYNC flag (progress hook installed)");
            }
            return true;
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(rank, $"blocked receives poll MPI_Test: {reason}");
        }
        return false;
    }
}
