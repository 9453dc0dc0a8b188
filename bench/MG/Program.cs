using System.Globalization;
using Mitten.Bench.Common;
using Mitten.Bench.MG;
using Mitten.GroupComm;

// NAS MG (multigrid), MPI version, in C#. Usage:
//   mpiexec -n NP MG --class S|W|A|B|C [--mitten] [--migrate RANK@ITERATION[:HOST]]...
//                    [--compare mitten|plain [--repeats N] [--interleave]] [--repeats N]
// NP must be a power of two (1..64 verified for class S). The process grid is a periodic 3-D
//   Cartesian communicator (MPI_Cart_create plain; MittenCommunicator.CreateCartesian through
//   Mitten, which survives migrations); the halo neighbours come from its Shift.
// --mitten runs through the Mitten layer (MittenSession; needs
//   mpiexec --mca orte_allowed_exit_without_sync 1 when ranks migrate). --migrate (repeatable,
//   implies --mitten) makes RANK request its own move to HOST (default: its own host) at the
//   migration point of timed iteration ITERATION; the replacement prints
//   "MIGRATION rank=... <phase>_ms=..." lines with the migration's timeline.
// --compare mitten runs the benchmark N times (default 5) on the plain binding and N times
//   through Mitten in one job, alternating, after a warm-up pair (rep=0), and prints
//   "COMPARE rep=R variant=plain|mitten seconds=... mops=... verified=..." per run (rank 0);
//   --compare plain compares the plain binding with itself on a duplicate communicator.
// --interleave (with --compare): each repetition alternates the variants iteration by
//   iteration and also prints "COMPARE_ITER rep=R iteration=I ... plain_s=... <variant>_s=...".
// --repeats N without --compare (plain binding): the whole benchmark (set-up, warm-up, timed part)
//   N times in one job on fresh arrays, printing
//   "RESULT impl=csharp rep=R class=... seconds=... mops=... verified=... rnm2=... rnmu=..." per run (the format
//   of the C baseline bench/native/mg.c, for scripts/bench.sh mgkernel), the report once after the last.
// Rank 0 prints the original report and a machine-readable line
//   RESULT class=S ranks=4 iterations=4 seconds=... mops=... mops_per_process=... verified=yes rnm2=... rnmu=... allocated_bytes=0 grid=cartesian:1x2x2
// (allocated_bytes: managed bytes allocated during the timed iterations, largest over processes).

string className = "S";
bool mitten = false;
string? compare = null;
bool interleave = false;
int repeats = 5;
bool repeatsGiven = false;
var migrations = new List<MigrationPlan>();
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--class": className = Value(); break;
            case "--mitten": mitten = true; break;
            case "--migrate":
                migrations.Add(MigrationPlan.Parse(Value()));
                mitten = true;
                break;
            case "--compare": compare = Value(); break;
            case "--interleave": interleave = true; break;
            case "--repeats":
                repeats = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
                    ? n : throw new ArgumentException("--repeats wants a positive number");
                repeatsGiven = true;
                break;
            case "-h" or "--help":
                Console.WriteLine("usage: MG --class S|W|A|B|C [--mitten] [--migrate RANK@ITERATION[:HOST]]... [--compare mitten|plain [--repeats N] [--interleave]] [--repeats N]");
                return 0;
            default:
                throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    if (compare is not (null or "mitten" or "plain"))
    {
        throw new ArgumentException($"--compare takes mitten or plain, not {compare}");
    }
    if (interleave && compare is null)
    {
        throw new ArgumentException("--interleave needs --compare mitten|plain");
    }
    if (repeatsGiven && compare is null && mitten)
    {
        throw new ArgumentException("--repeats without --compare runs the plain binding; it cannot be combined with --mitten or --migrate");
    }
    if (compare is not null && mitten)
    {
        throw new ArgumentException("--compare measures without migrations; it cannot be combined with --mitten or --migrate");
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("MG: " + e.Message);
    return 2;
}
MgClass problem;
try
{
    problem = MgClass.Get(className);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("MG: " + e.Message);
    return 2;
}

if (compare is not null)
{
    return MgMitten.Compare(problem, repeats, againstPlainDuplicate: compare == "plain", interleaved: interleave);
}
if (mitten)
{
    return MgMitten.Run(problem, migrations);
}

Mpi.Init(ThreadLevel.Single);
int status;
PlainMgCommunicator? grid = null;
try
{
    // The process grid: a periodic Cartesian communicator over MPI_COMM_WORLD (MPI_Cart_create).
    var comm = new PlainMgCommunicator(Mpi.World);
    grid = comm;
    var benchmark = new MgBenchmark<PlainMgCommunicator>(comm, problem);
    MgState state = benchmark.CreateState();
    if (comm.Rank == 0)
    {
        MgReport.Header(problem, comm.Size, comm.ProcessGrid);
    }
    MgResult result = benchmark.Run(state);
    status = result.Verified ? 0 : 1;
    for (int rep = 2; rep <= (repeatsGiven ? repeats : 1); rep++)
    {
        if (comm.Rank == 0)
        {
            MgReport.RepetitionLine(problem, result, rep - 1, comm.ProcessGrid);
        }
        state.Reset();
        result = benchmark.Run(state);
        status = result.Verified ? status : 1;
    }
    if (comm.Rank == 0)
    {
        if (repeatsGiven)
        {
            MgReport.RepetitionLine(problem, result, repeats, comm.ProcessGrid);
        }
        MgReport.Results(problem, result, comm.ProcessGrid);
    }
}
catch (ArgumentException e)
{
    if (Mpi.World.Rank == 0)
    {
        Console.Error.WriteLine("MG: " + e.Message);
    }
    status = 2;
}
grid?.Dispose();
Console.Out.Flush();
Mpi.Finalize();
return status;
