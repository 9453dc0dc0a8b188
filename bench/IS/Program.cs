using System.Globalization;
using Mitten;
using Mitten.Bench.Common;
using Mitten.Bench.IS;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

// NAS IS (integer sort), MPI version, in C#. Usage:
//   mpiexec -n NP IS --class S|W|A|B|C [--iterations N] [--corrupt-key]
//                    [--mitten] [--migrate RANK@ITERATION[:HOST]]...
//                    [--compare mitten|plain [--repeats N] [--interleave]]
// NP must be a power of two. --corrupt-key changes one key after the warm-up (verification
// must then fail; for tests).
// --mitten runs through the Mitten layer (MittenSession; needs
//   mpiexec --mca orte_allowed_exit_without_sync 1 when ranks migrate). --migrate (repeatable,
//   implies --mitten) makes rank (RANK+1)%NP request that RANK move to HOST (default: its own
//   host) at the migration point of timed iteration ITERATION; the replacement prints
//   "MIGRATION rank=... <phase>_ms=..." lines with the migration's timeline.
// --compare mitten runs the benchmark N times (default 5) on the plain binding and N times
//   through Mitten in one job, alternating (plain, mitten, then mitten, plain, ...) after a
//   warm-up pair (rep=0, not to be counted), and prints
//   "COMPARE rep=R variant=plain|mitten seconds=... mops=... verified=..." per run (rank 0).
// --compare plain does the same with the plain binding on MPI_COMM_WORLD against the plain
//   binding on a duplicate of it (variant "plain-dup"): two identical variants, the noise floor
//   and any order bias of the comparison.
// --interleave (with --compare): each repetition alternates the two variants iteration by
//   iteration (fresh states for both), and rank 0 also prints per pair of iterations
//   "COMPARE_ITER rep=R iteration=I first=... plain_s=... <variant>_s=..." (largest over processes).
// --repeats N without --compare (plain binding): the whole benchmark N times in one job on the
//   same memory (keys generated again, untimed), rank 0 printing
//   "RESULT impl=csharp rep=R class=... seconds=... mops=... verified=..." per run (the format of
//   bench/native/is.c, which scripts/bench.sh iskernel alternates with this program).
// On the plain binding, before its first timed iteration each process waits until the JIT's
//   background recompilations have stopped for IS_JIT_SETTLE_MS (default 250 with tiered
//   compilation, 0 without it, where nothing is compiled in the background: the sleep only let the
//   caches go cold before the loop, which C does not do; 0: no wait), then the processes
//   synchronize (untimed; see JitSettling.cs). The key arrays are placed so that the Alltoallv's
//   receive buffer starts at the send buffer's page offset, as in C (PagePlacement.cs: otherwise
//   Open MPI's self-copy meets 4K aliasing); IS_PAGE_PLACEMENT=0 leaves them where they fall.
//   IS_TIMED_LOOP_COSTS=1 prints per
//   process and run what was compiled, collected and faulted during the timed iterations.
//   IS_PHASE_TIMES=1 prints per process and run the time of each phase of the timed iterations
//   (PhaseTimes.cs; bench/native/is.c marks the same places). The plain program synchronizes the
//   processes (MPI_Barrier, untimed) right before each run's timed iterations, as is.c.
// Rank 0 prints the original report and a machine-readable line
//   RESULT class=S ranks=4 iterations=10 seconds=... mops=... mops_per_process=... verified=yes passed=54 expected=54 allocated_bytes=0 key_rank_checksum=...
// (allocated_bytes: managed bytes allocated during the timed iterations, largest over the
// processes; key_rank_checksum: depends only on the computed key ranks, equal with and without migrations).

string className = "S";
int iterations = IsClass.MaxIterations;
bool corrupt = false;
bool mitten = false;
string? compare = null;
bool interleave = false;
int repeats = 5;
bool repeatsGiven = false;
var migrations = new List<MigrationPlan>();
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--class": className = Value(); break;
        case "--iterations": iterations = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--corrupt-key": corrupt = true; break;
        case "--mitten": mitten = true; break;
        case "--migrate":
            try
            {
                migrations.Add(MigrationPlan.Parse(Value()));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("IS: " + e.Message);
                return 2;
            }
            mitten = true;
            break;
        case "--compare": compare = Value(); break;
        case "--interleave": interleave = true; break;
        case "--repeats": repeats = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture)); repeatsGiven = true; break;
        case "-h" or "--help":
            Console.WriteLine("usage: IS --class S|W|A|B|C [--iterations N] [--corrupt-key] [--mitten] [--migrate RANK@ITERATION[:HOST]]... [--compare mitten|plain [--repeats N] [--interleave]]");
            return 0;
        default:
            Console.Error.WriteLine($"IS: unknown option {args[i]}");
            return 2;
    }
}
if (compare is not (null or "mitten" or "plain"))
{
    Console.Error.WriteLine($"IS: --compare takes mitten or plain, not {compare}");
    return 2;
}
if (interleave && compare is null)
{
    Console.Error.WriteLine("IS: --interleave needs --compare mitten|plain");
    return 2;
}
if (compare is not null && mitten)
{
    Console.Error.WriteLine("IS: --compare mitten measures without migrations; it cannot be combined with --mitten or --migrate");
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

if (compare is not null)
{
    return IsMitten.Compare(problem, iterations, repeats, againstPlainDuplicate: compare == "plain", interleaved: interleave);
}
if (mitten)
{
    return IsMitten.Run(problem, iterations, corrupt, migrations);
}

Mpi.Init(ThreadLevel.Single);
var comm = new PlainCommunicator(Mpi.World);
int status;
try
{
    int jitSettleMs = int.TryParse(Environment.GetEnvironmentVariable("IS_JIT_SETTLE_MS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int settle)
        ? Math.Max(0, settle) : JitSettling.BackgroundCompilation ? 250 : 0;
    var benchmark = new IsBenchmark<PlainCommunicator>(comm, problem) { CorruptKeyForTesting = corrupt, JitSettleMilliseconds = jitSettleMs, BarrierBeforeTimedLoop = true };
    IsState state = benchmark.CreateState(iterations);
    if (Environment.GetEnvironmentVariable("IS_PHASE_TIMES") == "1")
    {
        PhaseTimes.ReportPlacement(comm.Rank, state);
    }
    if (comm.Rank == 0)
    {
        IsReport.Header(problem, iterations, comm.Size);
    }
    IsResult result = benchmark.Run(state);
    status = result.Verified ? 0 : 1;
    for (int rep = 2; rep <= (repeatsGiven ? repeats : 1); rep++)
    {
        if (comm.Rank == 0)
        {
            IsReport.RepetitionLine(problem, result, rep - 1);
        }
        state.Reset();
        result = benchmark.Run(state);
        status = result.Verified ? status : 1;
    }
    if (comm.Rank == 0)
    {
        if (repeatsGiven)
        {
            IsReport.RepetitionLine(problem, result, repeats);
        }
        IsReport.Results(problem, result);
    }
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
