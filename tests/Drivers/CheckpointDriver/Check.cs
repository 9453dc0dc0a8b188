using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>Self-checking output for driver programs: one line per check, read by the xunit tests.</summary>
internal static class Check
{
    internal static int Failures;

    internal static void That(string name, bool condition, string detail = "")
    {
        int rank = Mpi.IsInitialized && !Mpi.IsFinalized ? Mpi.World.Rank : -1;
        if (condition)
        {
            Console.WriteLine($"CHECK {name} ok rank={rank}");
        }
        else
        {
            Failures++;
            Console.WriteLine($"CHECK {name} FAIL rank={rank} {detail}");
        }
    }
}
