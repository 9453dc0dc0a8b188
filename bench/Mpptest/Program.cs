using System.Globalization;
using Mitten;
using Mitten.Bench.Mpptest;
using Mitten.GroupComm;

// Mpptest-style communication benchmark. Usage:
//   mpiexec -n NP Mpptest [--patterns all|p2p|collective|NAME[,NAME...]] [--sizes 0,8,64,...]
//                         [--measurements T] [--min-ms M] [--quick] [--compare plain|mitten]
// Patterns: pingpong nonblocking head-to-head halo bisection barrier bcast reduce allreduce alltoall.
// --compare plain alternates the plain binding with itself on a duplicate communicator (the
// noise floor of a comparison); --compare mitten alternates the plain binding on
// MPI_COMM_WORLD with the Mitten layer (a MittenSession's communicator) in the same job;
// MPI is initialized at thread level single before the session starts, so both variants run
// at the same level. Both variants make the same calls (Isend/Irecv included). --mitten
// measures the Mitten variant alone. --compare polled (a micro-benchmark) alternates the plain
// binding with the plain binding whose blocking receive (MPI_Irecv) and waits are MPI_Test polled from
// managed code (Mitten's structure without its bookkeeping), on a duplicate communicator.
// --self-loop N (one process; SelfLoop.cs): plain, polled and Mitten exchanging 8-byte messages
// with themselves in turns, blocks of N iterations, --measurements blocks: ns per iteration.
// Rank 0 prints a table per pattern and machine-readable "CSV ..." lines.

int[] sizes = [0, 8, 64, 512, 4096, 32768, 262144, 1 << 20, 4 << 20];
int measurements = 10;
double minSeconds = 1e-3;
string patternArg = "all";
string? compare = null;
long selfLoop = 0;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--patterns": patternArg = Value(); break;
        case "--sizes": sizes = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--measurements": measurements = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture)); break;
        case "--min-ms": minSeconds = double.Parse(Value(), CultureInfo.InvariantCulture) / 1000.0; break;
        case "--quick":
            sizes = [0, 8, 512, 4096, 32768];
            measurements = 3;
            minSeconds = 2e-4;
            break;
        case "--compare": compare = Value(); break;
        case "--mitten": compare = "mitten-only"; break;
        case "--self-loop": selfLoop = long.Parse(Value(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"Mpptest: unknown option {args[i]}");
            return 2;
    }
}
if (compare is not (null or "plain" or "mitten" or "mitten-only" or "polled"))
{
    Console.Error.WriteLine($"Mpptest: --compare must be plain, mitten or polled, not {compare}");
    return 2;
}
Pattern[] patterns;
try
{
    patterns = patternArg switch
    {
        "all" => [.. Patterns.PointToPoint, .. Patterns.Collective],
        "p2p" => Patterns.PointToPoint,
        "collective" => Patterns.Collective,
        _ => patternArg.Split(',').Select(Patterns.Parse).ToArray(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("Mpptest: " + e.Message);
    return 2;
}

Mpi.Init(ThreadLevel.Single);
Communicator world = Mpi.World;
int maxBytes = sizes.Max();
// One set of buffers for every variant of the job: both variants of a comparison move the same memory.
var buffers = new PatternBuffers(maxBytes, world.Size);
var options = new MpptestOptions(sizes, measurements, minSeconds);
TextWriter output = world.Rank == 0 ? Console.Out : TextWriter.Null;
if (compare is "mitten" or "mitten-only")
{
    // Mpptest keeps no state worth moving; the session exists for its communicator.
    MittenSession<object> session = MittenSession<object>.Start(() => new object(),
        StateCodec.FromDelegates<object>((_, _) => { }, _ => new object()));
    var mitten = new PatternKernel<MittenMpptestCommunicator>(new MittenMpptestCommunicator(session.Communicator), buffers);
    if (compare is "mitten")
    {
        var plain = new PatternKernel<PlainCommunicator>(new PlainCommunicator(world), buffers);
        RunAll(new MpptestSuite<PlainCommunicator, MittenMpptestCommunicator>(plain, mitten, options), world.Size);
    }
    else
    {
        RunAll(new MpptestSuite<MittenMpptestCommunicator, PlainCommunicator>(mitten, null, options), world.Size);
    }
    output.Flush();
    session.Finish();
    return 0;
}
if (selfLoop > 0)
{
    // The per-message micro-benchmark (SelfLoop.cs): plain, polled and Mitten on this process alone.
    MittenSession<object> selfSession = MittenSession<object>.Start(() => new object(),
        StateCodec.FromDelegates<object>((_, _) => { }, _ => new object()));
    using (Communicator polledSelf = world.Dup())
    {
        SelfLoop.Run(new PlainCommunicator(world), new PolledCommunicator(polledSelf), new MittenMpptestCommunicator(selfSession.Communicator),
            selfLoop, measurements, Console.Out);
    } // freed before Finish (MPI_Finalize): freeing it after aborted the job
    selfSession.Finish();
    return 0;
}
if (compare is "polled")
{
    using Communicator polledOn = world.Dup();
    var plainFirst = new PatternKernel<PlainCommunicator>(new PlainCommunicator(world), buffers);
    var polled = new PatternKernel<PolledCommunicator>(new PolledCommunicator(polledOn), buffers);
    RunAll(new MpptestSuite<PlainCommunicator, PolledCommunicator>(plainFirst, polled, options), world.Size);
    output.Flush();
    Mpi.Finalize();
    return 0;
}
using (Communicator? duplicate = compare is "plain" ? world.Dup() : null)
{
    var first = new PatternKernel<PlainCommunicator>(new PlainCommunicator(world), buffers);
    PatternKernel<PlainCommunicator>? second = duplicate is null ? null
        : new PatternKernel<PlainCommunicator>(new PlainCommunicator(duplicate, "plain-dup"), buffers);
    RunAll(new MpptestSuite<PlainCommunicator, PlainCommunicator>(first, second, options), world.Size);
    output.Flush();
}
Mpi.Finalize();
return 0;

void RunAll<TFirst, TSecond>(MpptestSuite<TFirst, TSecond> suite, int processes)
    where TFirst : struct, IMpptestCommunicator
    where TSecond : struct, IMpptestCommunicator
{
    for (int p = 0; p < patterns.Length; p++)
    {
        Pattern pattern = patterns[p];
        if (pattern is Pattern.PingPong or Pattern.Nonblocking or Pattern.HeadToHead && processes < 2)
        {
            output.WriteLine($"pattern {Patterns.Name(pattern)}: skipped (needs 2 processes)");
            continue;
        }
        if (world.Rank == 0)
        {
            Console.Error.WriteLine($"[mpptest] pattern {p + 1}/{patterns.Length}: {Patterns.Name(pattern)} on {processes} processes");
        }
        suite.Run(pattern, output);
    }
}
