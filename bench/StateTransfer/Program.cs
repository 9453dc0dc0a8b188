using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Mitten;
using Mitten.Bench.Checkpoint;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;
using Mitten.Protocol;
using Mitten.Protocol.Spares;

// The state transfer of a migration, measured between a rank and a process it spawned (as a
// replacement is): `mpiexec -n 1 StateTransferBench [--rounds R] [--sizes "1 16 64 256"] [--graph-nodes N]`.
// Per round, size and variant (the order rotates every round), the time from the start of the
// capture to the receiver's acknowledgement that it holds a restored copy:
//   shm     Mitten's shared-memory route: codec -> memfd -> codec (MigratableCodec/StateSerializer)
//   mpi     Mitten's MPI-chunk route over the intercommunicator (the TCP BTL for a spawned process)
//   tcp     a plain TCP socket (loopback) between the same two processes: the raw array bytes into a fresh array
//   memcpy  a copy of the array into a fresh array in the sending process (new memory: on this VM
//           mostly the first touch of its pages, about 35 µs per 4 KiB, not the copy)
//   warmcpy a copy of the array into an array of the same size allocated and written before the
//           clock starts (the copy alone: the memory speed the shm route is measured against)
// The 1M-node graph (bench/Checkpoint's SharedTree) goes by shm and mpi. Rows on stdout:
//   row,ROUND,CASE,VARIANT,BYTES,SECONDS,MBPS     (MB = 10^6 bytes; BYTES = the payload, the array's bytes or the graph's stream)
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { AutoFlush = true });
Mpi.Init(ThreadLevel.Single);
Communicator? parentComm = Communicator.GetParent();
int code = parentComm is null ? Bench.Parent(args) : Bench.Child(parentComm);
Mpi.Finalize();
return code;

internal static class Bench
{
    private const int CommandTag = 1, ChannelTag = 2, AckTag = 3, PortTag = 4, ReadyTag = 5;
    private const long Shm = 0, MpiChunks = 1, Tcp = 2, Exit = -1;
    private const long DoublesCase = 0, GraphCase = 1;

    private static readonly IStateCodec<double[]> ArrayCodec = MigratableCodec.For<double[]>(new StateTypeRegistry());
    private static readonly IStateCodec<Node> GraphCodec = MigratableCodec.For<Node>(new StateTypeRegistry().Register<Node>());

    internal static int Parent(string[] args)
    {
        int rounds = 5, graphNodes = 1_000_000;
        int[] sizes = [1, 16, 64, 256];
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sizes": sizes = [.. args[++i].Split(' ', ',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]; break;
                case "--graph-nodes": graphNodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        using Info info = Info.Create();
        Communicator child = Mpi.Self.Spawn(Environment.ProcessPath!, [], 1, info, 0, out _);
        byte[] portText = new byte[16];
        Status portStatus = child.Recv<byte>(portText, 0, PortTag);
        int port = int.Parse(Encoding.ASCII.GetString(portText, 0, portStatus.GetCount<byte>()), CultureInfo.InvariantCulture);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        Console.Error.WriteLine($"statetransfer: chunk {StateTransfer.ChunkBytes} B, child connected on port {port}");

        Node graph = Node.SharedTree(graphNodes, out _, out _);
        string[] arrayVariants = ["shm", "mpi", "tcp", "memcpy", "warmcpy"];
        for (int round = 0; round < rounds + 1; round++) // round 0 warms up (JIT, first page faults) and is not printed
        {
            foreach (int mib in sizes)
            {
                double[] state = new double[mib * (1L << 20) / 8];
                for (int i = 0; i < state.Length; i++)
                {
                    state[i] = i * 1.000001;
                }
                for (int v = 0; v < arrayVariants.Length; v++)
                {
                    string variant = arrayVariants[(v + round) % arrayVariants.Length];
                    Settle();
                    AwaitReady(child);
                    double seconds = variant switch
                    {
                        "shm" => SendState(child, Shm, DoublesCase, s => ArrayCodec.Save(state, s)),
                        "mpi" => SendState(child, MpiChunks, DoublesCase, s => ArrayCodec.Save(state, s)),
                        "tcp" => SendOverSocket(child, socket, state),
                        "warmcpy" => WarmMemcpy(state),
                        _ => Memcpy(state),
                    };
                    Row(round, $"mib{mib}", variant, state.LongLength * 8, seconds);
                }
            }
            for (int v = 0; v < 2; v++)
            {
                long route = (v + round) % 2 == 0 ? Shm : MpiChunks;
                Settle();
                AwaitReady(child);
                long bytes = 0;
                double seconds = SendState(child, route, GraphCase, s =>
                {
                    GraphCodec.Save(graph, s);
                    bytes = s.Position;
                });
                Row(round, "graph", route == Shm ? "shm" : "mpi", bytes, seconds);
            }
        }
        AwaitReady(child);
        Command(child, Exit, 0, 0);
        child.Disconnect();
        return 0;
    }

    private const int AckWords = 10;

    /// <summary>CPU time of the calling thread so far, ms (getrusage RUSAGE_THREAD: user + system).</summary>
    private static unsafe double ThreadCpuMs() => ThreadCpu().User + ThreadCpu().System;

    /// <summary>User and system CPU time of the calling thread so far, ms.</summary>
    private static unsafe (double User, double System) ThreadCpu()
    {
        long* usage = stackalloc long[18];
        return GetRusage(1 /* RUSAGE_THREAD */, usage) == 0 ? (usage[0] * 1000.0 + usage[1] / 1000.0, usage[2] * 1000.0 + usage[3] / 1000.0) : (-1, -1);
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern unsafe int GetRusage(int who, long* usage);

    /// <summary>The last Mitten transfer's phases (ms from its start), printed as a "phase," row after its "row," row.</summary>
    private static string? LastPhases;

    private static void Row(int round, string @case, string variant, long bytes, double seconds)
    {
        if (round > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"row,{round},{@case},{variant},{bytes},{seconds:F6},{bytes / seconds / 1e6:F1}"));
            if (LastPhases is not null)
            {
                Console.WriteLine($"phase,{round},{@case},{variant},{LastPhases}");
            }
        }
        LastPhases = null;
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Waits (untimed) until the child has prepared its receiving memory and state ring, as an idle spare has; READY carries its process id.</summary>
    private static void AwaitReady(Communicator child)
    {
        if (!readyPending)
        {
            return;
        }
        Span<long> ready = [0];
        child.Recv<long>(ready, 0, ReadyTag);
        childPid = (int)ready[0];
        readyPending = false;
    }

    /// <summary>The child's process id (a moving rank knows the spare it took), so the sender can use the child's prepared state ring.</summary>
    private static int childPid;

    private static bool readyPending = true;

    private static void Command(Communicator child, long variant, long @case, long bytes)
    {
        Span<long> command = [variant, @case, bytes];
        child.Send<long>(command, 0, CommandTag);
        readyPending = variant != Exit;
    }

    /// <summary>Mitten's transfer: the codec writes into the route's stream; the child restores and acknowledges.</summary>
    private static double SendState(Communicator child, long route, long @case, Action<Stream> save)
    {
        long start = Stopwatch.GetTimestamp();
        (double userStart, double systemStart) = ThreadCpu();
        long faultsStart = HeapHugePages.MinorFaults();
        Command(child, route, @case, 0);
        using StateSender sender = route == Shm ? new SharedMemoryStateSender(child, StateTransfer.ChunkBytes, childPid) : new MpiChunkStateSender(child, StateTransfer.ChunkBytes);
        child.Send<byte>(Encoding.ASCII.GetBytes(sender.Channel), 0, ChannelTag);
        sender.Send([], save);
        long saved = Stopwatch.GetTimestamp();
        (double userEnd, double systemEnd) = ThreadCpu();
        long senderFaults = HeapHugePages.MinorFaults() - faultsStart;
        Span<long> ack = stackalloc long[AckWords];
        child.Recv<long>(ack, 0, AckTag);
        long end = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
        if (ack[0] != 1)
        {
            throw new InvalidDataException("the child's restored state differs");
        }
        if (ack[6] != sender.BytesSent)
        {
            throw new InvalidDataException($"the child read {ack[6]} bytes of a {sender.BytesSent}-byte stream");
        }
        string ring = sender is SharedMemoryStateSender shm
            ? string.Create(CultureInfo.InvariantCulture, $" room_waits={shm.RoomWaits.Waits}/{shm.RoomWaits.Ticks * 1000.0 / Stopwatch.Frequency:F1}ms byte_waits={ack[8]}/{ack[9] / 1000.0:F1}ms") + (shm.UsesPreparedRing ? " ring=prepared" : " ring=own")
            : "";
        // Where the time went (ms from the start): the sender's capture+write ended; the child had the channel, had opened it, had restored, had read to the end.
        double Ms(long t) => (t - start) * 1000.0 / Stopwatch.Frequency;
        LastPhases = string.Create(CultureInfo.InvariantCulture,
            $"saved={Ms(saved):F1} channel={Ms(ack[1]):F1} opened={Ms(ack[2]):F1} restored={Ms(ack[3]):F1} drained={Ms(ack[4]):F1} acked={Ms(end):F1} child_faults={ack[5]} sender_cpu={userEnd - userStart:F1}+{systemEnd - systemStart:F1}ms sender_faults={senderFaults} receiver_cpu={ack[7] / 1000.0:F1}ms{ring}");
        return seconds;
    }

    private static double SendOverSocket(Communicator child, Socket socket, double[] state)
    {
        long start = Stopwatch.GetTimestamp();
        Command(child, Tcp, DoublesCase, state.LongLength * 8);
        const int Piece = 64 << 20;
        for (long i = 0; i < state.LongLength; i += Piece / 8)
        {
            int n = (int)Math.Min(Piece / 8, state.LongLength - i);
            socket.Send(MemoryMarshal.AsBytes(state.AsSpan((int)i, n)));
        }
        Span<byte> ack = [0];
        socket.Receive(ack);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Memcpy(double[] state)
    {
        long start = Stopwatch.GetTimestamp();
        double[] copy = GC.AllocateUninitializedArray<double>(state.Length);
        state.AsSpan().CopyTo(copy);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        GC.KeepAlive(copy);
        return seconds;
    }

    /// <summary>A copy into memory that is already backed: the destination is allocated and written before the clock starts.</summary>
    private static double WarmMemcpy(double[] state)
    {
        double[] copy = GC.AllocateUninitializedArray<double>(state.Length);
        copy.AsSpan().Fill(1.0);
        long start = Stopwatch.GetTimestamp();
        state.AsSpan().CopyTo(copy);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        GC.KeepAlive(copy);
        return seconds;
    }

    internal static int Child(Communicator parent)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        parent.Send<byte>(Encoding.ASCII.GetBytes(((IPEndPoint)listener.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture)), 0, PortTag);
        using Socket socket = listener.Accept();
        socket.NoDelay = true;
        Span<long> command = [0, 0, 0];
        while (true)
        {
            // Like an idle spare: memory for the next state, prepared before it comes
            // (MITTEN_RECEIVE_MEMORY_MIB; untimed: the parent waits for READY before its clock starts).
            ReceiveMemory.Prepare(ReceiveMemory.ConfiguredBytes);
            StateRing.PrepareForReceiving(); // MITTEN_STATE_RING_PREPARED=0: the sender makes its own ring, as for a spawned replacement
            parent.Send<long>([Environment.ProcessId], 0, ReadyTag);
            parent.Recv<long>(command, 0, CommandTag);
            if (command[0] == Exit)
            {
                break;
            }
            Serve(parent, socket, command);
        }
        ReceiveMemory.Release();
        parent.Disconnect();
        return 0;
    }

    private static void Serve(Communicator parent, Socket socket, Span<long> command)
    {
        {
            if (command[0] == Tcp)
            {
                double[] received = new double[command[2] / 8];
                Span<byte> bytes = MemoryMarshal.AsBytes(received.AsSpan());
                for (int got = 0; got < bytes.Length;)
                {
                    got += socket.Receive(bytes[got..]);
                }
                socket.Send([(byte)1]);
                return;
            }
            Status status;
            while (!parent.Iprobe(0, ChannelTag, out status))
            {
                Thread.Yield();
            }
            byte[] channel = new byte[status.GetCount<byte>()];
            parent.Recv<byte>(channel, 0, ChannelTag);
            long faults = Mitten.Protocol.Spares.HeapHugePages.MinorFaults();
            long tChannel = Stopwatch.GetTimestamp();
            double cpuStart = ThreadCpuMs();
            StateReceiver receiver = StateTransfer.OpenReceiver(parent, Encoding.ASCII.GetString(channel), why => throw new InvalidOperationException(why));
            long tOpened = Stopwatch.GetTimestamp();
            // The stream's contract (StateTransfer.cs): the application's section, then the received-message-list.
            bool ok = false;
            bool doubles = command[1] == DoublesCase;
            receiver.ReadApplicationState(section =>
            {
                if (doubles)
                {
                    double[] state = ArrayCodec.Restore(section);
                    ok = state.Length == 0 || (state[^1] == (state.Length - 1) * 1.000001 && state[state.Length / 2] == (state.Length / 2) * 1.000001);
                }
                else
                {
                    Node graph = GraphCodec.Restore(section);
                    ok = graph is not null;
                }
            });
            long tRestored = Stopwatch.GetTimestamp();
            receiver.ReadCommunicationState();
            receiver.DrainToEnd();
            receiver.Release();
            long tDrained = Stopwatch.GetTimestamp();
            long cpuMicros = (long)((ThreadCpuMs() - cpuStart) * 1000);
            (int waits, long waitTicks) = receiver is SharedMemoryStateReceiver shm ? shm.ByteWaits : (0, 0);
            Span<long> ack = [ok ? 1 : 0, tChannel, tOpened, tRestored, tDrained, Mitten.Protocol.Spares.HeapHugePages.MinorFaults() - faults, receiver.BytesReceived,
                cpuMicros, waits, waitTicks * 1_000_000 / Stopwatch.Frequency];
            parent.Send<long>(ack, 0, AckTag);
            GC.Collect();
        }
    }
}
