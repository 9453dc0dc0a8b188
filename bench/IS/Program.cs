using System.Globalization;
using Mitten.Bench.IS;
using Mitten.GroupComm;

// NAS IS (integer sort), MPI version, in C#. Usage:
//   mpiexec -n NP IS --class S|W|A|B|C [--iterations N] [--corrupt-key]
//                    [--mitten] [--migrate RANK@ITERATION[:HOST]]...
// NP must be a power of two. --corrupt-key changes one key after the warm-up (verification
// must then fail; for tests). --mitten and --migrate need the Mitten layer (not wired yet).
// Rank 0 prints the original report and a machine-readable line
//   RESULT class=S ranks=4 iterations=10 seconds=... mops=... mops_per_process=... verified=yes passed=54 expected=54 allocated_bytes=0
// (allocated_bytes: managed bytes allocated during the timed iterations, largest over the processes).

string className = "S";
int iterations = IsClass.MaxIterations;
bool corrupt = false;
bool mitten = false;
var migrations = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--class": className = Value(); break;
        case "--iterations": iterations = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--corrupt-key": corrupt = true; break;
        case "--mitten": mitten = true; break;
        case "--migrate": migrations.Add(Value()); break;
        case "-h" or "--help":
            Console.WriteLine("usage: IS --class S|W|A|B|C [--iterations N] [--corrupt-key] [--mitten] [--migrate RANK@ITERATION[:HOST]]...");
            return 0;
        default:
            Console.Error.WriteLine($"IS: unknown option {args[i]}");
            return 2;
    }
}
if (mitten || migrations.Count > 0)
{
    Console.Error.WriteLine("IS: --mitten and --migrate are not available until the Mitten layer lands");
    return 2;
}
IsClass problem;
try
{
    problem = IsClass.Get(className);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("IS: " + e.Message);
    return 2;
}

Mpi.Init(ThreadLevel.Single);
var comm = new PlainCommunicator(Mpi.World);
int status;
try
{
    var benchmark = new IsBenchmark<PlainCommunicator>(comm, problem) { CorruptKeyForTesting = corrupt };
    IsState state = benchmark.CreateState(iterations);
    if (comm.Rank == 0)
    {
        IsReport.Header(problem, iterations, comm.Size);
    }
    IsResult result = benchmark.Run(state);
    if (comm.Rank == 0)
    {
        IsReport.Results(problem, result);
    }
    status = result.Verified ? 0 : 1;
}
catch (ArgumentException e)
{
    if (comm.Rank == 0)
    {
        Console.Error.WriteLine("IS: " + e.Message);
    }
    status = 2;
}
Console.Out.Flush();
Mpi.Finalize();
return status;
