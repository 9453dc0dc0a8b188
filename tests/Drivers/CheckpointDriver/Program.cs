using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Mitten.Checkpoint.Coordinated;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;
using Mitten.Tests.Drivers;

// An iterative ring computation with coordinated checkpoints:
//   CheckpointDriver --dir D --iterations N --every K [--keep M] [--restart] [--die-at I --die-rank R]
// Each iteration every rank mixes in its left neighbour's vector (Sendrecv around the ring) and
// the global sum (Allreduce). After every K-th iteration all ranks checkpoint. --die-at makes rank
// R kill itself (SIGKILL) at the start of iteration I; --restart resumes from the newest usable
// epoch. Rank 0 prints "RESULT <bits of the final sum> <sum>".
var options = Arguments.Parse(args);
Mpi.Init();
Communicator world = Mpi.World;
int rank = world.Rank, size = world.Size;
var types = new StateTypeRegistry().Register<RingState>();
var store = new CheckpointStore(options.Directory, types, options.Keep);

RingState state;
if (options.Restart && store.Restore<RingState>(world) is { } restored)
{
    state = restored.State;
    string expected = $"rank {rank} iteration {state.Iteration}";
    Check.That("communication-state", Encoding.UTF8.GetString(restored.CommunicationState) == expected,
        $"got '{Encoding.UTF8.GetString(restored.CommunicationState)}'");
    Check.That("restored-shape", state.Values.Length == 512 && state.History.Count == state.Iteration
        && ReferenceEquals(state.Window.Array, state.Values), "restored state has the wrong shape");
    Console.WriteLine($"RESTORED rank={rank} epoch={restored.Epoch} iteration={state.Iteration} diagnostics={restored.Diagnostics.Count}");
}
else
{
    state = RingState.Initial(rank);
}

double[] left = new double[state.Values.Length];
for (int iteration = state.Iteration; iteration < options.Iterations; iteration++)
{
    if (iteration == options.DieAt && rank == options.DieRank)
    {
        Console.Out.Flush();
        kill(getpid(), 9); // killed hard: no finalize, no cleanup
    }
    world.Sendrecv<double, double>(state.Values, (rank + 1) % size, 1, left, (rank - 1 + size) % size, 1);
    double local = 0;
    for (int i = 0; i < state.Values.Length; i++)
    {
        state.Values[i] = 0.5 * state.Values[i] + 0.25 * left[i] + 0.001 * Math.Sin(iteration + i);
        local += state.Values[i];
    }
    double total = world.Allreduce(local, Op.Sum);
    state.History.Add(total);
    state.Counters["iterations"] = state.Counters.GetValueOrDefault("iterations") + 1;
    state.Iteration = iteration + 1;
    if (state.Iteration % options.Every == 0 && state.Iteration < options.Iterations)
    {
        byte[] communication = Encoding.UTF8.GetBytes($"rank {rank} iteration {state.Iteration}");
        long epoch = store.Write(world, state, communication);
        Console.WriteLine($"CHECKPOINT rank={rank} epoch={epoch} iteration={state.Iteration}");
    }
}

double sum = 0;
foreach (double h in state.History)
{
    sum += h;
}
Check.That("iterations-counted", state.Counters["iterations"] == options.Iterations && state.History.Count == options.Iterations,
    $"counter {state.Counters["iterations"]}");
if (rank == 0)
{
    Console.WriteLine($"RESULT {BitConverter.DoubleToInt64Bits(sum):x16} {sum.ToString("R", CultureInfo.InvariantCulture)}");
}
Mpi.Finalize();
return Check.Failures == 0 ? 0 : 1;

[DllImport("libc")]
static extern int kill(int pid, int signal);

[DllImport("libc")]
static extern int getpid();

namespace Mitten.Tests.Drivers
{
    /// <summary>One rank's state: the vector, the history of global sums, counters, and a slice of the vector.</summary>
    [Migratable]
    internal sealed partial class RingState
    {
        public int Iteration;
        public double[] Values = [];
        public List<double> History = [];
        public Dictionary<string, long> Counters = [];
        public ArraySegment<double> Window;

        public static RingState Initial(int rank)
        {
            var s = new RingState { Values = new double[512] };
            for (int i = 0; i < s.Values.Length; i++)
            {
                s.Values[i] = rank + i * 0.01;
            }
            s.Window = new ArraySegment<double>(s.Values, 100, 10);
            s.Counters["iterations"] = 0;
            return s;
        }
    }

    internal sealed record Arguments(string Directory, int Iterations, int Every, int Keep, bool Restart, int DieAt, int DieRank)
    {
        public static Arguments Parse(string[] args)
        {
            string dir = "checkpoints";
            int iterations = 40, every = 5, keep = 2, dieAt = -1, dieRank = 0;
            bool restart = false;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--dir": dir = args[++i]; break;
                    case "--iterations": iterations = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--every": every = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--keep": keep = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--restart": restart = true; break;
                    case "--die-at": dieAt = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--die-rank": dieRank = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown argument {args[i]}");
                }
            }
            return new Arguments(dir, iterations, every, keep, restart, dieAt, dieRank);
        }
    }
}
