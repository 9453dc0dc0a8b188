using System.Diagnostics;
using System.Globalization;

namespace Mitten.Bench.Mpptest;

/// <summary>
/// Micro-benchmark of the per-message software cost (<c>Mpptest --self-loop N</c>, one process):
/// each adapter exchanges 8-byte messages with itself, so no peer's latency hides the cost of the
/// layer. Two loops per adapter: a blocking send then a blocking receive ("blocking"), and a
/// non-blocking receive and send completed together ("nonblocking"). The adapters take turns in
/// blocks of N iterations; the minimum over the blocks, in ns per iteration, is printed.
/// </summary>
public static class SelfLoop
{
    /// <summary>Runs <paramref name="blocks"/> blocks of <paramref name="iterations"/> per adapter and loop.</summary>
    public static void Run<TA, TB, TC>(TA a, TB b, TC c, long iterations, int blocks, TextWriter output)
        where TA : struct, IMpptestCommunicator where TB : struct, IMpptestCommunicator where TC : struct, IMpptestCommunicator
    {
        var best = new double[3, 2];
        for (int i = 0; i < 3; i++)
        {
            best[i, 0] = best[i, 1] = double.MaxValue;
        }
        byte[] send = new byte[8], receive = new byte[8];
        for (int block = 0; block < blocks; block++)
        {
            for (int step = 0; step < 3; step++)
            {
                int v = (block + step) % 3;
                for (int loop = 0; loop < 2; loop++)
                {
                    double ns = v switch
                    {
                        0 => Time(ref a, loop, iterations, send, receive),
                        1 => Time(ref b, loop, iterations, send, receive),
                        _ => Time(ref c, loop, iterations, send, receive),
                    };
                    best[v, loop] = Math.Min(best[v, loop], ns);
                }
            }
        }
        string[] names = [a.Name, b.Name, c.Name];
        for (int v = 0; v < 3; v++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"SELFLOOP variant={names[v]} blocking_ns={best[v, 0]:F1} nonblocking_ns={best[v, 1]:F1} (minimum over {blocks} blocks of {iterations})"));
        }
    }

    private static double Time<T>(ref T comm, int loop, long iterations, byte[] send, byte[] receive) where T : struct, IMpptestCommunicator
    {
        int self = comm.Rank;
        long start = Stopwatch.GetTimestamp();
        if (loop == 0)
        {
            for (long i = 0; i < iterations; i++)
            {
                comm.Send(send, self, 7);
                comm.Recv(receive, self, 7);
            }
        }
        else
        {
            var s = new ReadOnlyMemory<byte>(send);
            var r = new Memory<byte>(receive);
            for (long i = 0; i < iterations; i++)
            {
                comm.StartRecv(r, self, 8, 0);
                comm.StartSend(s, self, 8, 1);
                comm.WaitAll();
            }
        }
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
    }
}
