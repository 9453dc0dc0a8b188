using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Mitten.Protocol.Spares;

/// <summary>
/// How a group member reaches an idle spare: a TCP listener on the spare's host. An idle spare
/// waits in the kernel (accept with a one-second poll), not in MPI, whose blocking calls spin:
/// so it costs the running job no processor time, and any member of the group — also a
/// replacement that was not yet born when the spare started — can call it by host and port.
/// One line per call: "TAKE id" (answer "OK": the caller then connects over MPI) or "EXIT"
/// (answer "BYE"; the spare leaves). A refused or silent doorbell means the spare is gone.
/// </summary>
internal static class SpareDoorbell
{
    /// <summary>Connecting to a doorbell and its answer; past it the spare counts as dead.</summary>
    internal static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(2);

    internal const string Take = "TAKE";
    internal const string Exit = "EXIT";

    /// <summary>Answered "PONG" and otherwise ignored: callers use it at start so that the call's
    /// code (sockets, tasks) is compiled and ready before a migration, while nobody is frozen.</summary>
    internal const string Ping = "PING";

    /// <summary>Answered by a replenished spare that is still warming up: not ready yet (the caller skips it this time, and spawns).</summary>
    internal const string Busy = "BUSY";

    /// <summary>
    /// The spare's listener, on every interface, on <paramref name="port"/>, or a port the kernel
    /// picks (0). A replenished spare asks for the port of the spare it replaces, so every
    /// member's table stays right (address reuse on: the old connections may linger in TIME_WAIT).
    /// </summary>
    internal static TcpListener Listen(int port = 0)
    {
        var listener = new TcpListener(IPAddress.IPv6Any, port);
        listener.Server.DualMode = true;
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(4);
        return listener;
    }

    /// <summary>
    /// The spare's idle wait: the next call's command and its connection (to answer on), or
    /// null when the process that launched this spare (Open MPI's daemon) is gone: the job ended
    /// without telling the spare, which then leaves too (checked every second).
    /// </summary>
    internal static (string Command, Socket Caller)? WaitForCall(TcpListener listener)
    {
        int launcher = getppid();
        int interval = KeepWarm.IntervalMs;
        long checkedLauncher = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (NextCall(listener, interval > 0 ? Math.Min(interval, 1000) * 1000 : 1_000_000) is { } call)
            {
                return call;
            }
            if (interval > 0)
            {
                KeepWarm.Round(); // the prepared ring and memory stay warm (KeepWarm.cs)
                if (System.Diagnostics.Stopwatch.GetElapsedTime(checkedLauncher).TotalMilliseconds < 1000)
                {
                    continue;
                }
                checkedLauncher = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            if (getppid() != launcher)
            {
                return null;
            }
        }
    }

    /// <summary>The next call within <paramref name="microseconds"/>, or null (none, or a caller that left before its line).</summary>
    internal static (string Command, Socket Caller)? NextCall(TcpListener listener, int microseconds)
    {
        if (!listener.Server.Poll(microseconds, SelectMode.SelectRead))
        {
            return null;
        }
        Socket caller = listener.AcceptSocket();
        caller.ReceiveTimeout = (int)CallLimit.TotalMilliseconds;
        caller.NoDelay = true;
        try
        {
            string? line = ReadLine(caller);
            if (line is not null)
            {
                return (line, caller);
            }
        }
        catch (SocketException)
        {
            // a caller that went away before its line: wait for the next one
        }
        caller.Dispose();
        return null;
    }

    /// <summary>The spare's answer to a call.</summary>
    internal static void Answer(Socket caller, string answer)
    {
        try
        {
            caller.Send(Encoding.ASCII.GetBytes(answer + "\n"));
        }
        catch (SocketException)
        {
            // the caller gave up; it treats this spare as gone
        }
    }

    /// <summary>
    /// A group member calls <paramref name="spare"/> with <paramref name="command"/>; returns its
    /// answer, or null (with why) when it cannot be reached or does not answer within
    /// <see cref="CallLimit"/>.
    /// </summary>
    internal static string? Call(SpareInfo spare, string command, string localHost, out string failure) =>
        Call(spare, command, localHost, out failure, out _);

    /// <summary>As above; <paramref name="silent"/> tells a doorbell that did not answer in time
    /// (its host may be gone) from one that refused or closed (nobody listens there now).
    /// With <paramref name="keepOnOk"/>, a connection answered "OK" (TAKE) stays open for the state
    /// (<see cref="TcpStateConnection"/>), as it does on the spare's side.</summary>
    internal static string? Call(SpareInfo spare, string command, string localHost, out string failure, out bool silent, bool keepOnOk = false)
    {
        failure = "";
        silent = false;
        Socket? socket = null;
        try
        {
            IPAddress[] addresses = string.Equals(spare.Host, localHost, StringComparison.OrdinalIgnoreCase) || spare.Host == "localhost"
                ? [IPAddress.Loopback]
                : Dns.GetHostAddresses(spare.Host);
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.ReceiveTimeout = (int)CallLimit.TotalMilliseconds;
            socket.SendTimeout = (int)CallLimit.TotalMilliseconds;
            if (!socket.ConnectAsync(addresses, spare.DoorbellPort).Wait(CallLimit))
            {
                silent = true;
                failure = $"its doorbell on {spare.Host}:{spare.DoorbellPort} did not answer within {CallLimit.TotalSeconds:0} s";
                return null;
            }
            socket.Send(Encoding.ASCII.GetBytes(command + "\n"));
            string? answer = ReadLine(socket);
            if (answer is null)
            {
                failure = "it closed its doorbell without answering";
            }
            else if (keepOnOk && (answer == "OK" || answer.StartsWith("OK ", StringComparison.Ordinal)))
            {
                TcpStateConnection.Keep(socket);
                socket = null;
            }
            return answer;
        }
        catch (Exception e) when (e is SocketException or AggregateException or IOException)
        {
            silent = (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode == SocketError.TimedOut;
            failure = $"its doorbell on {spare.Host}:{spare.DoorbellPort} cannot be reached ({(e is AggregateException a ? a.InnerException?.Message : e.Message)})";
            return null;
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>One short ASCII line (at most 256 bytes), or null at the end of the stream.</summary>
    private static string? ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        Span<byte> one = stackalloc byte[1];
        while (line.Length < 256)
        {
            if (socket.Receive(one) == 0)
            {
                return null;
            }
            if (one[0] == (byte)'\n')
            {
                return line.ToString();
            }
            line.Append((char)one[0]);
        }
        return line.ToString();
    }

    [DllImport("libc")]
    private static extern int getppid();
}
