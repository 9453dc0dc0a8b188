using System.Runtime.InteropServices;

namespace Mitten.Tests.Drivers;

/// <summary>
/// The state of the payload scenario: a byte or double payload whose every bit is a function
/// of (seed, index), so a replacement can check it was restored bit-identical.
/// </summary>
internal sealed class PayloadState
{
    public int Iteration;
    public int Seed;
    public int Moves;
    public long Overhead = -1; // bytes of the state stream that are not payload (learned from the first migration)
    public byte[] Bytes = [];
    public double[] Doubles = [];

    private const int Piece = 64 << 20; // codec writes and reads in pieces (a span of bytes cannot exceed 2 GiB)

    public static IStateCodec<PayloadState> Codec { get; } = StateCodec.FromDelegates<PayloadState>(
        (s, stream) =>
        {
            if (Environment.GetEnvironmentVariable("MITTEN_DRIVER_CODEC_FAULT") == "save-midway")
            {
                // Part of the state is already on its way when the codec fails.
                stream.Write(new byte[3 * (1 << 20) + 17]);
                throw new InvalidOperationException("test fault: the codec failed midway");
            }
            Span<byte> head = stackalloc byte[36];
            BitConverter.TryWriteBytes(head, s.Iteration);
            BitConverter.TryWriteBytes(head[4..], s.Seed);
            BitConverter.TryWriteBytes(head[8..], (long)s.Bytes.Length);
            BitConverter.TryWriteBytes(head[16..], (long)s.Doubles.Length);
            BitConverter.TryWriteBytes(head[24..], s.Overhead);
            BitConverter.TryWriteBytes(head[32..], s.Moves);
            stream.Write(head);
            stream.Write(s.Bytes);
            for (long i = 0; i < s.Doubles.LongLength; i += Piece / 8)
            {
                int n = (int)Math.Min(Piece / 8, s.Doubles.LongLength - i);
                stream.Write(MemoryMarshal.AsBytes(s.Doubles.AsSpan((int)i, n)));
            }
        },
        stream =>
        {
            Span<byte> head = stackalloc byte[36];
            stream.ReadExactly(head);
            var s = new PayloadState
            {
                Iteration = BitConverter.ToInt32(head),
                Seed = BitConverter.ToInt32(head[4..]),
                Bytes = new byte[BitConverter.ToInt64(head[8..])],
                Doubles = new double[BitConverter.ToInt64(head[16..])],
                Overhead = BitConverter.ToInt64(head[24..]),
                Moves = BitConverter.ToInt32(head[32..]),
            };
            stream.ReadExactly(s.Bytes);
            for (long i = 0; i < s.Doubles.LongLength; i += Piece / 8)
            {
                int n = (int)Math.Min(Piece / 8, s.Doubles.LongLength - i);
                stream.ReadExactly(MemoryMarshal.AsBytes(s.Doubles.AsSpan((int)i, n)));
            }
            if (stream.ReadByte() != -1)
            {
                throw new InvalidDataException("the state stream goes on after the payload");
            }
            return s;
        });

    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public void Fill(int seed, int bytes, long doubles)
    {
        Seed = seed;
        Bytes = new byte[bytes];
        for (int i = 0; i < bytes; i++)
        {
            Bytes[i] = (byte)Mix((ulong)seed << 40 ^ (ulong)i);
        }
        Doubles = new double[doubles];
        for (long i = 0; i < doubles; i += int.MaxValue / 8)
        {
            int n = (int)Math.Min(int.MaxValue / 8, doubles - i);
            Span<long> part = MemoryMarshal.Cast<double, long>(Doubles.AsSpan((int)i, n));
            for (int j = 0; j < n; j++)
            {
                part[j] = (long)Mix(((ulong)seed << 40) + 0x5555UL + (ulong)(i + j)); // NaNs and denormals included
            }
        }
    }

    /// <summary>Index of the first bit that differs from what <see cref="Fill"/> wrote, or -1.</summary>
    public long FirstDifference()
    {
        for (int i = 0; i < Bytes.Length; i++)
        {
            if (Bytes[i] != (byte)Mix((ulong)Seed << 40 ^ (ulong)i))
            {
                return i;
            }
        }
        for (long i = 0; i < Doubles.LongLength; i += int.MaxValue / 8)
        {
            int n = (int)Math.Min(int.MaxValue / 8, Doubles.LongLength - i);
            Span<long> part = MemoryMarshal.Cast<double, long>(Doubles.AsSpan((int)i, n));
            for (int j = 0; j < n; j++)
            {
                if (part[j] != (long)Mix(((ulong)Seed << 40) + 0x5555UL + (ulong)(i + j)))
                {
                    return Bytes.Length + 8 * (i + j);
                }
            }
        }
        return -1;
    }
}

/// <summary>
/// Rank 1 moves with a payload of a planned size, one move after the other; each replacement checks
/// its payload bit by bit and prints "PAYLOAD rank=1 iteration=K bytes=B doubles=D
/// state_bytes=S verified=yes|no". With --payload-stream-sizes the payload is chosen so that
/// the whole state stream (communication state frame and codec header included) has exactly
/// each listed size ("pN": a payload of N bytes instead); the overhead is learned from the first
/// migration, whose payload is empty.
/// --payload-doubles N moves one payload of N doubles; --payload-host H moves rank 1 to host H (default: its own);
/// --payload-request-after-ms N makes rank 1 wait N ms before its first request (a spare is idle by then).
/// </summary>
internal static class PayloadScenario
{
    internal static int Run(string[] args)
    {
        var streamSizes = new List<string>();
        long doubles = -1;
        string? host = null;
        int requestAfterMs = 0;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--payload-stream-sizes": streamSizes.AddRange(args[++i].Split(',')); break;
                case "--payload-doubles": doubles = long.Parse(args[++i]); break;
                case "--payload-host": host = args[++i]; break;
                case "--payload-request-after-ms": requestAfterMs = int.Parse(args[++i]); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        // Migration m: the first has an empty payload (it measures the overhead), then the planned ones.
        int migrations = doubles >= 0 ? 1 : streamSizes.Count + 1;
        using var session = MittenSession<PayloadState>.Start(() => new PayloadState(), PayloadState.Codec);
        var comm = session.Communicator;
        int rank = comm.Rank;
        PayloadState state = session.State;
        bool allVerified = true;
        if (session.IsReplacement)
        {
            MigrationReport report = session.MigrationHistory[^1];
            long difference = state.FirstDifference();
            allVerified = difference < 0;
            Console.WriteLine($"PAYLOAD rank={rank} iteration={state.Iteration} bytes={state.Bytes.Length} doubles={state.Doubles.LongLength} state_bytes={report.StateBytes} verified={(allVerified ? "yes" : "no")}" +
                (allVerified ? "" : $" first_difference={difference}"));
            Console.WriteLine($"MIGRATION {report}");
        }
        // Rank 1 asks for its own move once per process (a process that moves never comes back);
        // a move is served at one of its next migration points. The loop is long enough for all.
        int iterations = 4 * migrations + 4;
        bool requested = false; // this process asked to be moved (it leaves at one of its next migration points)
        while (state.Iteration <= iterations)
        {
            session.MigrationPoint();
            if (rank == 1 && state.Moves < migrations && !requested)
            {
                int m = state.Moves;
                if (doubles >= 0)
                {
                    state.Fill(m + 1, 0, doubles);
                }
                else if (m == 0)
                {
                    state.Fill(1, 0, 0);
                }
                else
                {
                    // Overhead: the first migration's stream, whose payload was empty.
                    if (state.Overhead < 0)
                    {
                        state.Overhead = session.MigrationHistory[^1].StateBytes;
                    }
                    // "pN": a payload of N bytes; "N": a whole stream of N bytes.
                    string size = streamSizes[m - 1];
                    long payload = size.StartsWith('p') ? long.Parse(size[1..]) : long.Parse(size) - state.Overhead;
                    if (payload < 0)
                    {
                        Console.WriteLine($"CHECK payload-size FAIL stream size {streamSizes[m - 1]} is below the overhead {state.Overhead}");
                        payload = 0;
                    }
                    state.Fill(m + 1, (int)payload, 0);
                }
                if (m == 0 && requestAfterMs > 0)
                {
                    Thread.Sleep(requestAfterMs);
                }
                state.Moves++; // counted in the state that moves
                requested = true;
                session.RequestMigration(1, host);
            }
            comm.Barrier();
            state.Iteration++;
        }
        int verified = comm.Allreduce(allVerified ? 1 : 0, GroupComm.Op.Min);
        Console.WriteLine($"CHECK payload-verified {(verified == 1 ? "ok" : "FAIL")} rank={rank}");
        session.Finish();
        return 0;
    }
}
