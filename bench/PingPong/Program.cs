using System.Globalization;
using Mitten.GroupComm;

// C# ping-pong over Mitten.GroupComm, the same measurement as bench/native/pingpong.c:
// rank 0 sends n bytes to rank 1, rank 1 sends them back; one measurement = K round trips
// (K calibrated so it lasts >= ~1 ms) / 2K; T measurements per size, sizes interleaved,
// each started by a barrier; calibration is the warm-up. Rank 0 prints one CSV line per size
//   impl,size_bytes,k,t,min_us,median_us,bw_min_MBps,bw_median_MBps
// and a line "alloc,<bytes allocated in the timed loops>,<send+recv pairs>,<bytes per pair>"
// (GC.GetAllocatedBytesForCurrentThread around the timed loops, the larger of the two ranks).
//
// Usage: mpiexec -n 2 PingPong [--measurements T] [--min-ms M] [--max-bytes N] [--warmup-ms W] [--path P]
//   --path binding (default): Communicator.Send/Recv of Mitten.GroupComm.
//   --path raw: MPI_Send/MPI_Recv called through function pointers with no wrapper (diagnostic:
//               separates the cost of the binding from the cost of the managed-to-native call).
//   --thread-level single (default, what the C program's MPI_Init gives) | funneled (the binding's
//               default for Mpi.Init(); Open MPI 4.1 is measurably slower on small messages then).
//   --path raw-nogc: as raw, with [SuppressGCTransition] (diagnostic only: measures what the GC
//               transition of each call costs; not safe for blocking calls in a real program).

int measurements = 20;
double minSeconds = 1e-3;
long maxBytes = 4L << 20;
double warmupSeconds = 1.0;
string path = "binding";
ThreadLevel threadLevel = ThreadLevel.Single;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--measurements": measurements = Math.Max(1, int.Parse(args[i + 1], CultureInfo.InvariantCulture)); break;
        case "--min-ms": minSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture) / 1000.0; break;
        case "--max-bytes": maxBytes = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--path": path = args[i + 1]; break;
        case "--thread-level": threadLevel = args[i + 1] == "funneled" ? ThreadLevel.Funneled : ThreadLevel.Single; break;
        case "--warmup-ms": warmupSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture) / 1000.0; break;
        default: Console.Error.WriteLine($"PingPong: unknown option {args[i]}"); return 2;
    }
}

if (path is not ("binding" or "raw" or "raw-nogc"))
{
    Console.Error.WriteLine($"PingPong: --path must be binding, raw or raw-nogc, not {path}");
    return 2;
}
Mpi.Init(threadLevel);
Communicator world = Mpi.World;
RoundTrips.UseRaw = path != "binding";
RawMpi.SuppressTransition = path == "raw-nogc";
int rank = world.Rank;
if (world.Size != 2)
{
    if (rank == 0)
    {
        Console.Error.WriteLine($"PingPong: needs exactly 2 ranks, got {world.Size}");
    }
    Mpi.Finalize();
    return 2;
}

var sizes = new List<int>();
for (long n = 8; n < maxBytes; n *= 4)
{
    sizes.Add((int)n);
}
sizes.Add((int)maxBytes);
byte[] buffer = new byte[maxBytes];
buffer.AsSpan().Fill(1);

// Tiered JIT warm-up: run the hot loop long enough for it to be recompiled at tier 1 before
// anything is measured (the calibration below is a second warm-up per size).
double warmupEnd = Mpi.Wtime() + warmupSeconds;
while (true)
{
    RoundTrips.Run(world, buffer.AsSpan(0, 8), 1000, rank);
    double now = world.Bcast(Mpi.Wtime(), 0);
    if (now >= warmupEnd)
    {
        break;
    }
}

long[] k = new long[sizes.Count];
for (int s = 0; s < sizes.Count; s++)
{
    long reps = 1;
    while (true)
    {
        // The least of three trials, so one descheduling on a busy machine does not fix K too small.
        double elapsed = double.MaxValue;
        for (int trial = 0; trial < 3; trial++)
        {
            elapsed = Math.Min(elapsed, world.Bcast(RoundTrips.Run(world, buffer.AsSpan(0, sizes[s]), reps, rank), 0));
        }
        if (elapsed >= minSeconds || reps >= 1L << 24)
        {
            break;
        }
        reps *= 2;
    }
    k[s] = reps;
}

double[] times = new double[sizes.Count * measurements];
long pairs = 0;
long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
for (int m = 0; m < measurements; m++)
{
    for (int s = 0; s < sizes.Count; s++)
    {
        double elapsed = RoundTrips.Run(world, buffer.AsSpan(0, sizes[s]), k[s], rank);
        times[s * measurements + m] = elapsed / (2.0 * k[s]);
        pairs += k[s];
    }
}
long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
allocated = world.Allreduce(allocated, Op.Max);

if (rank == 0)
{
    var inv = CultureInfo.InvariantCulture;
    for (int s = 0; s < sizes.Count; s++)
    {
        Span<double> t = times.AsSpan(s * measurements, measurements);
        t.Sort();
        double min = t[0];
        double median = measurements % 2 == 1 ? t[measurements / 2] : 0.5 * (t[measurements / 2 - 1] + t[measurements / 2]);
        Console.WriteLine(string.Create(inv,
            $"{(path == "binding" ? "csharp" : "csharp-" + path)},{sizes[s]},{k[s]},{measurements},{min * 1e6:F4},{median * 1e6:F4},{sizes[s] / min / 1e6:F2},{sizes[s] / median / 1e6:F2}"));
    }
    Console.WriteLine(string.Create(inv, $"alloc,{allocated},{pairs},{(double)allocated / pairs:F6}"));
}
Mpi.Finalize();
return 0;

/// <summary>The timed loop, kept in its own method so the JIT optimizes it as a unit.</summary>
internal static class RoundTrips
{
    internal static bool UseRaw;

    /// <summary>K round trips of the buffer between ranks 0 and 1; the elapsed seconds (meaningful on rank 0).</summary>
    internal static double Run(Communicator world, Span<byte> buffer, long k, int rank)
    {
        if (UseRaw)
        {
            return RawMpi.Run(world, buffer, k, rank);
        }
        world.Barrier();
        double start = Mpi.Wtime();
        if (rank == 0)
        {
            for (long i = 0; i < k; i++)
            {
                world.Send<byte>(buffer, 1, 1);
                world.Recv(buffer, 1, 1);
            }
        }
        else if (rank == 1)
        {
            for (long i = 0; i < k; i++)
            {
                world.Recv(buffer, 0, 1);
                world.Send<byte>(buffer, 0, 1);
            }
        }
        return Mpi.Wtime() - start;
    }
}

/// <summary>
/// Diagnostic path: MPI_Send/MPI_Recv resolved from libmpi.so.40 and called through
/// unmanaged function pointers with nothing around them, to measure what the managed-to-native
/// transition alone costs compared with the C program.
/// </summary>
internal static unsafe class RawMpi
{
    private static readonly delegate* unmanaged<void*, int, nint, int, int, nint, int> Send;
    private static readonly delegate* unmanaged<void*, int, nint, int, int, nint, void*, int> Recv;
    private static readonly nint ByteType;
    internal static bool SuppressTransition;

    static RawMpi()
    {
        nint library = System.Runtime.InteropServices.NativeLibrary.Load(Environment.GetEnvironmentVariable("MITTEN_MPI_LIBRARY") ?? "libmpi.so.40");
        Send = (delegate* unmanaged<void*, int, nint, int, int, nint, int>)System.Runtime.InteropServices.NativeLibrary.GetExport(library, "MPI_Send");
        Recv = (delegate* unmanaged<void*, int, nint, int, int, nint, void*, int>)System.Runtime.InteropServices.NativeLibrary.GetExport(library, "MPI_Recv");
        ByteType = System.Runtime.InteropServices.NativeLibrary.GetExport(library, "ompi_mpi_byte");
    }

    internal static double Run(Communicator world, Span<byte> buffer, long k, int rank)
    {
        nint comm = world.Handle;
        nint type = ByteType;
        int n = buffer.Length;
        var send = Send;
        var recv = Recv;
        if (SuppressTransition)
        {
            return RunWithoutTransition(world, buffer, k, rank, comm, type);
        }
        world.Barrier();
        double start = Mpi.Wtime();
        fixed (byte* p = buffer)
        {
            if (rank == 0)
            {
                for (long i = 0; i < k; i++)
                {
                    send(p, n, type, 1, 1, comm);
                    recv(p, n, type, 1, 1, comm, null);
                }
            }
            else if (rank == 1)
            {
                for (long i = 0; i < k; i++)
                {
                    recv(p, n, type, 0, 1, comm, null);
                    send(p, n, type, 0, 1, comm);
                }
            }
        }
        return Mpi.Wtime() - start;
    }

    private static double RunWithoutTransition(Communicator world, Span<byte> buffer, long k, int rank, nint comm, nint type)
    {
        int n = buffer.Length;
        var send = (delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, int>)Send;
        var recv = (delegate* unmanaged[SuppressGCTransition]<void*, int, nint, int, int, nint, void*, int>)Recv;
        world.Barrier();
        double start = Mpi.Wtime();
        fixed (byte* p = buffer)
        {
            if (rank == 0)
            {
                for (long i = 0; i < k; i++)
                {
                    send(p, n, type, 1, 1, comm);
                    recv(p, n, type, 1, 1, comm, null);
                }
            }
            else if (rank == 1)
            {
                for (long i = 0; i < k; i++)
                {
                    recv(p, n, type, 0, 1, comm, null);
                    send(p, n, type, 0, 1, comm);
                }
            }
        }
        return Mpi.Wtime() - start;
    }
}
