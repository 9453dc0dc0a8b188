using Mitten.GroupComm;
using Mitten.Tests.Drivers;

// Runs one named scenario on every rank of the job; see Scenarios.cs.
string scenario = args.Length > 0 ? args[0] : "";
if (scenario == "env")
{
    Scenarios.Environment();
    return Check.Failures == 0 ? 0 : 1;
}
Mpi.Init();
try
{
    Action run = scenario switch
    {
        "comm" => Scenarios.Communicators,
        "p2p" => Scenarios.PointToPoint,
        "coll" => Scenarios.Collectives,
        "rma" => Scenarios.Windows,
        "spawn" => Scenarios.Spawn,
        "spawn-child" => Scenarios.SpawnChild,
        "errors" => Scenarios.Errors,
        "alloc" => Scenarios.Allocation,
        "interruptible" => Scenarios.Interruptible,
        _ => () => throw new ArgumentException($"unknown scenario '{scenario}'"),
    };
    run();
}
catch (Exception e)
{
    Console.WriteLine($"CHECK unhandled FAIL rank={Mpi.World.Rank} {e}");
    Console.Out.Flush();
    Mpi.Abort(Mpi.World, 3);
}
Mpi.Finalize();
return Check.Failures == 0 ? 0 : 1;
