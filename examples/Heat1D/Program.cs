// A 1-D heat stencil that can move any of its ranks to another machine while it runs.
//
//   mitten run -n 4 -- ./Heat1D [cells-per-rank] [steps]
//   mitten migrate <job> --rank 2 --to <host>        (from another terminal)
//
// Each rank owns `cells` points plus one ghost point on each side; every step it swaps its
// edge values with its neighbours, averages, and offers Mitten a migration point. The state
// that moves with a rank is HeatState: the [Migratable] generator writes its save/restore code.
using Mitten;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

int cells = args.Length > 0 ? int.Parse(args[0]) : 100_000;
int steps = args.Length > 1 ? int.Parse(args[1]) : 2_000;

using var session = MittenSession<HeatState>.Start(() => HeatState.Create(cells), MigratableCodec.For<HeatState>());
MittenCommunicator comm = session.Communicator;
HeatState heat = session.State;
if (session.IsReplacement)
{
    Console.WriteLine($"REPLACEMENT rank={comm.Rank} pid={Environment.ProcessId} step={heat.Step}");
}
int left = comm.Rank - 1, right = comm.Rank + 1;
const int ToRight = 1, ToLeft = 2;
while (heat.Step < steps)
{
    // The top of the loop: the state is consistent here, and a requested migration of this
    // rank happens here (a replacement continues from this point, so nothing may communicate
    // between Start and the first migration point).
    session.MigrationPoint();
    double[] u = heat.U;
    // Ghost points: the neighbours' edge values (the ends of the rod stay at 0).
    if (right < comm.Size)
    {
        comm.Send(u[heat.Cells], right, ToRight);
    }
    if (left >= 0)
    {
        u[0] = comm.Recv<double>(left, ToRight);
        comm.Send(u[1], left, ToLeft);
    }
    if (right < comm.Size)
    {
        u[heat.Cells + 1] = comm.Recv<double>(right, ToLeft);
    }
    double[] next = heat.Next;
    for (int i = 1; i <= heat.Cells; i++)
    {
        next[i] = u[i] + 0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);
    }
    (heat.U, heat.Next) = (next, u);
    heat.Step++;
}

double local = 0;
for (int i = 1; i <= heat.Cells; i++)
{
    local += heat.U[i] * (i + (long)comm.Rank * heat.Cells);
}
double total = comm.Allreduce(local, Op.Sum);
if (comm.Rank == 0)
{
    Console.WriteLine($"RESULT steps={heat.Step} moment={total:R}");
}
session.Finish();

/// <summary>What a rank of the stencil owns: its points with the ghost points, and the step it is at.</summary>
[Migratable]
public sealed partial class HeatState
{
    public int Cells;
    public long Step;
    public double[] U = [];
    public double[] Next = [];

    public static HeatState Create(int cells)
    {
        var s = new HeatState { Cells = cells, U = new double[cells + 2], Next = new double[cells + 2] };
        for (int i = 1; i <= cells; i++)
        {
            s.U[i] = i % 97 == 0 ? 100.0 : 0.0; // hot spots, the same on every rank
        }
        return s;
    }
}
