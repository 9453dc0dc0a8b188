using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// The TCP connection a moving rank opened to a warm spare's doorbell to take it (TAKE, answered
/// "OK"), kept open on both sides for the state (docs/PROTOCOL.md, "The state transfer"): the spare
/// listened for it while idle, on every interface, and the moving rank reached it at the address
/// its host name resolves to, as for every doorbell call. One per process at a time.
/// </summary>
internal static class TcpStateConnection
{
    private static Socket? kept;

    /// <summary>Whether the state may go over a taken spare's doorbell connection (MITTEN_STATE_TCP, default on; MITTEN_STATE_TRANSFER=mpi or shm turns it off too).</summary>
    internal static bool Enabled =>
        Environment.GetEnvironmentVariable("MITTEN_STATE_TCP") != "0" &&
        Environment.GetEnvironmentVariable("MITTEN_STATE_TRANSFER") is not ("mpi" or "shm");

    /// <summary>Keeps <paramref name="socket"/> (the previous one, if any, is closed).</summary>
    internal static void Keep(Socket socket)
    {
        Interlocked.Exchange(ref kept, socket)?.Dispose();
    }

    /// <summary>The kept connection, handed over (null when there is none).</summary>
    internal static Socket? Take() => Interlocked.Exchange(ref kept, null);

    /// <summary>Closes the kept connection, if any (the spare was not used after all).</summary>
    internal static void Drop() => Take()?.Dispose();
}

/// <summary>
/// TCP, sending side (a spare on another host): the codec's output goes into the socket in frames
/// (a 4-byte length, then the bytes; length 0 ends the stream), small writes gathered first, large
/// ones straight from the codec's memory; the kernel's buffers pipeline them to the replacement,
/// which reads while the codec still writes. The socket does not block: a full send buffer is
/// waited for in polls of <see cref="PollMicroseconds"/> with a deadline of the restore limit,
/// restarted whenever bytes go out, and RESTORE_FAILED checked; a replacement that died resets
/// the connection and the send fails at once.
/// </summary>
internal sealed class TcpStateSender : StateSender
{
    private const int PollMicroseconds = 100_000;
    private const int DirectWriteBytes = 64 * 1024;
    private readonly Communicator inter;
    private readonly Socket socket;
    private readonly byte[] gather;
    private readonly string channel;
    private int gathered = 4; // room for the frame's length
    private long sendCalls, pollCalls, pollTicks;

    private readonly int receiverPid;

    internal TcpStateSender(Communicator inter, Socket socket, int chunk, int receiverPid)
    {
        this.receiverPid = receiverPid;
        this.inter = inter;
        this.socket = socket;
        gather = GC.AllocateUninitializedArray<byte>(Math.Clamp(chunk, 64 * 1024, 1 << 20) + 4);
        socket.Blocking = false;
        socket.NoDelay = true;
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        IPAddress address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        channel = string.Create(CultureInfo.InvariantCulture, $"tcp:{address}:{remote.Port}");
    }

    /// <summary>"tcp:ADDRESS:PORT": the spare's end of the connection (its doorbell), which the spare checks.</summary>
    internal override string Channel => channel;

    /// <summary>The taken spare's process id (a stopped one on this host is continued to read ABANDON).</summary>
    internal override int ReaderPid => receiverPid;

    /// <summary>For the trace: send calls, and the waits for room in the socket's buffer (where the sender waited for the replacement).</summary>
    internal override string TransportStats => string.Create(CultureInfo.InvariantCulture,
        $"{sendCalls} sends, {pollCalls} polls for room ({Stopwatch.GetElapsedTime(0, pollTicks).TotalMilliseconds:F1} ms)");

    protected override void Put(ReadOnlySpan<byte> data)
    {
        if (data.Length >= DirectWriteBytes)
        {
            FlushGathered();
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, data.Length);
            SendAll(length);
            SendAll(data);
            return;
        }
        if (gathered + data.Length > gather.Length)
        {
            FlushGathered();
        }
        data.CopyTo(gather.AsSpan(gathered));
        gathered += data.Length;
    }

    protected override void Complete()
    {
        FlushGathered();
        Span<byte> end = stackalloc byte[4]; // a frame of length 0: the end of the stream
        end.Clear();
        SendAll(end);
    }

    private void FlushGathered()
    {
        if (gathered == 4)
        {
            return;
        }
        BinaryPrimitives.WriteInt32LittleEndian(gather, gathered - 4);
        SendAll(gather.AsSpan(0, gathered));
        gathered = 4;
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        Deadline? deadline = null;
        while (!data.IsEmpty)
        {
            int n = socket.Send(data, SocketFlags.None, out SocketError error);
            sendCalls++;
            if (error == SocketError.Success)
            {
                data = data[n..];
                deadline = null; // restarts with every progress
                continue;
            }
            if (error != SocketError.WouldBlock)
            {
                throw new StateTransferException($"the connection to the replacement failed ({error})");
            }
            deadline ??= Deadline.After(ProtocolTimeouts.Restore, "the replacement's receipt of the state");
            long polled = Stopwatch.GetTimestamp();
            socket.Poll(PollMicroseconds, SelectMode.SelectWrite);
            pollCalls++;
            pollTicks += Stopwatch.GetTimestamp() - polled;
            ThrowIfReplacementFailedOnMainThread(inter);
            if (deadline.Value.Expired)
            {
                throw new StateTransferException(deadline.Value.Describe());
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// TCP, receiving side: reads the frames from the kept doorbell connection, large reads straight
/// into the codec's memory, small ones through a buffer. A wait polls for <see cref="PollMicroseconds"/>,
/// then checks ABANDON and the deadline (step + restore limit, restarted with every wait). A
/// connection that ends or fails before the end frame (the moving rank died) makes it leave.
/// </summary>
internal sealed class TcpStateReceiver : StateReceiver
{
    private const int PollMicroseconds = 100_000;
    private const int DirectReadBytes = 64 * 1024;
    private readonly Communicator parent;
    private readonly Socket socket;
    private readonly Action<string> leave;
    private readonly byte[] buffer = GC.AllocateUninitializedArray<byte>(256 * 1024);
    private int bufferStart, bufferEnd;
    private int frameLeft;
    private bool endSeen;
    private long faultAfter = -1;
    private long receiveCalls, pollCalls, pollTicks;

    internal TcpStateReceiver(Communicator parent, string channel, Action<string> leave)
    {
        this.parent = parent;
        this.leave = leave;
        socket = TcpStateConnection.Take() ?? throw new InvalidDataException($"state channel '{channel}': this process kept no connection from the moving rank");
        int port = int.Parse(channel[(channel.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        if (((IPEndPoint)socket.LocalEndPoint!).Port != port)
        {
            socket.Dispose();
            throw new InvalidDataException($"state channel '{channel}' is not this process's connection ({socket.LocalEndPoint})");
        }
        socket.Blocking = false;
        if (FaultInjection.Setting is "replacement:stream:exit" or "replacement:stream:stop" or "replacement:stream:kill")
        {
            faultAfter = 1 << 20; // test faults once 1 MiB has arrived
        }
    }

    /// <summary>For the trace: receive calls, and the waits for bytes (where the replacement waited for the moving rank).</summary>
    internal override string TransportStats => string.Create(CultureInfo.InvariantCulture,
        $"{receiveCalls} receives, {pollCalls} polls for bytes ({Stopwatch.GetElapsedTime(0, pollTicks).TotalMilliseconds:F1} ms)");

    protected override int Take(Span<byte> destination)
    {
        Span<byte> length = stackalloc byte[4];
        while (frameLeft == 0)
        {
            if (endSeen)
            {
                return 0;
            }
            for (int got = 0; got < 4;)
            {
                got += Raw(length[got..]);
            }
            frameLeft = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (frameLeft < 0)
            {
                throw new InvalidDataException($"a state frame of length {frameLeft}");
            }
            endSeen = frameLeft == 0;
        }
        int n = Raw(destination[..Math.Min(destination.Length, frameLeft)]);
        frameLeft -= n;
        if (faultAfter >= 0 && BytesReceived + n >= faultAfter)
        {
            faultAfter = -1;
            Fault();
        }
        return n;
    }

    /// <summary>At least one byte of the connection into <paramref name="destination"/> (not empty), waiting as needed.</summary>
    private int Raw(Span<byte> destination)
    {
        if (bufferStart == bufferEnd && destination.Length < DirectReadBytes)
        {
            bufferStart = 0;
            bufferEnd = Receive(buffer);
        }
        if (bufferStart < bufferEnd)
        {
            int n = Math.Min(destination.Length, bufferEnd - bufferStart);
            buffer.AsSpan(bufferStart, n).CopyTo(destination);
            bufferStart += n;
            return n;
        }
        return Receive(destination);
    }

    private int Receive(Span<byte> destination)
    {
        Deadline? deadline = null;
        while (true)
        {
            int n = socket.Receive(destination, SocketFlags.None, out SocketError error);
            receiveCalls++;
            if (error == SocketError.Success)
            {
                if (n == 0)
                {
                    leave("the moving rank's connection ended before the end of the state");
                }
                return n;
            }
            if (error != SocketError.WouldBlock)
            {
                leave($"the moving rank's connection failed ({error})");
            }
            deadline ??= NextChunkDeadline();
            long polled = Stopwatch.GetTimestamp();
            socket.Poll(PollMicroseconds, SelectMode.SelectRead);
            pollCalls++;
            pollTicks += Stopwatch.GetTimestamp() - polled;
            if (Abandoned(parent))
            {
                leave("the moving rank rolled the migration back");
            }
            if (deadline.Value.Expired)
            {
                leave(deadline.Value.Describe());
            }
        }
    }

    /// <summary>Test faults (MITTEN_TEST_FAULT via the header) once 1 MiB has arrived: "replacement:stream:stop|kill|exit".</summary>
    private static void Fault()
    {
        if (FaultInjection.Setting == "replacement:stream:exit")
        {
            Console.Error.WriteLine($"mitten: test fault: exit the replacement at step stream (process {Environment.ProcessId})");
            Console.Error.Flush();
            GroupProtocol.ExitProcess(3);
        }
        FaultInjection.At("stream", "replacement");
    }

    protected override void ReleaseTransport() => socket.Dispose();
}
