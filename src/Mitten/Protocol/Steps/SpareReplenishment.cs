using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// Replenishing a used spare (docs/PROTOCOL.md, "Replenishing"). After a migration that took a
/// spare has committed, the old process Pj — no longer a rank, nobody waits for it — spawns a
/// new spare over MPI_COMM_SELF on that spare's host and leaves once it is ready (or has
/// failed). The new spare opens the used spare's doorbell (same host, same port), so every
/// member's table stays right without a message to the group; it is in no pool, so a later
/// migration takes it over the connect/accept path (TAKE answers "OK pid port"). Every member
/// learned from DECISION(commit) that the slot is being replenished: until the slot's deadline
/// a refused or BUSY doorbell there means "not ready yet" (the migration spawns) and the end of
/// the job waits for it (EXIT), so no spare outlives the job.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>A replenished spare's SPARE_READY when the job ended (EXIT) before it was warm.</summary>
    private const string JobEndedWord = "EXIT";

    /// <summary>Extra time members give a replenished spare past its own deadline (the spare's clock and the bind).</summary>
    private static readonly TimeSpan ReplenishMargin = TimeSpan.FromSeconds(2);

    /// <summary>MITTEN_SPARE_REPLENISH: on unless "0" (a used spare is then not replaced; the next migration to its host spawns).</summary>
    internal static bool ReplenishEnabled => Environment.GetEnvironmentVariable("MITTEN_SPARE_REPLENISH") != "0";

    /// <summary>The slot a committing leader replenishes: the spare it took, when replenishing is on.</summary>
    private static SpareInfo? SlotToReplenish(SpareInfo? taken) => taken is not null && ReplenishEnabled ? taken : null;

    /// <summary>
    /// A member (or the new rank) learns at the commit that slot <paramref name="id"/> is being
    /// replenished: it may be taken again, and the end of the job waits for it until the deadline.
    /// </summary>
    private void MarkReplenishing(int id)
    {
        if (Spares.FirstOrDefault(s => s.Id == id) is not { } slot)
        {
            return;
        }
        slot.Unavailable = false;
        slot.Replenishing = true;
        slot.ReplenishDeadlineUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)(ProtocolTimeouts.Step + ReplenishMargin).TotalMilliseconds;
    }

    /// <summary>The deadline Pj gives the new spare to open its doorbell: a step from DECISION(commit).</summary>
    private static long ReplenishBindDeadline() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)ProtocolTimeouts.Step.TotalMilliseconds;

    /// <summary>
    /// Pj, after its commit (the group has resumed without it): spawns a spare over SELF on
    /// <paramref name="slot"/>'s host, tells it to open the slot's doorbell before
    /// <paramref name="bindDeadlineUnixMs"/>, waits (restore limit) for it to report ready, and
    /// disconnects. Never fails the job: a failure is one line on stderr and a
    /// <c>spare_replenished</c> event with <c>"ok":false</c>; the next migration to that host spawns.
    /// </summary>
    private void ReplenishSpare(SpareInfo slot, long bindDeadlineUnixMs, SynchronizationSession session)
    {
        long start = Stopwatch.GetTimestamp();
        string failure = "";
        int pid = 0;
        bool ended = false;
        try
        {
            (string command, string[] arguments) = ReplacementCommand();
            using Info info = Info.Create();
            info.Set("host", slot.Host);
            info.Set("wdir", Directory.GetCurrentDirectory());
            SetSpawnEnvironment(info);
            Communicator inter;
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Step, () => LeaveAfterReplenishing(slot, $"spawning it did not return within {ProtocolTimeouts.Step.TotalSeconds:0} s")))
            {
                inter = Mpi.Self.Spawn(command, arguments, 1, info, 0, out _);
            }
            var deadline = Deadline.After(ProtocolTimeouts.Restore, "the new spare reporting ready");
            string? hello = AwaitText(inter, ControlTag.Hello, deadline);
            if (hello is not null)
            {
                _ = int.TryParse(hello, CultureInfo.InvariantCulture, out pid);
                Span<long> role = [2, slot.DoorbellPort, bindDeadlineUnixMs];
                inter.Send<long>(role, 0, ControlTag.SpareRole);
                string? ready = AwaitText(inter, ControlTag.SpareReady, deadline, pid, slot.Host);
                if (ready == JobEndedWord)
                {
                    ended = true;
                }
                else if (ready is { Length: > 0 })
                {
                    using (BlockingCallLimit.Arm(ProtocolTimeouts.Step, () => LeaveAfterReplenishing(slot, "")))
                    {
                        inter.Disconnect();
                    }
                }
                else
                {
                    failure = ready is null ? (deadline.Expired ? deadline.Describe() : $"process {pid} died before it was ready") : "it could not open the doorbell or its MPI port";
                }
            }
            else
            {
                failure = deadline.Describe();
            }
        }
        catch (Exception e) when (e is MpiException or ArgumentException)
        {
            failure = "spawning it failed: " + e.Message;
        }
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        string outcome = ended
            ? string.Create(CultureInfo.InvariantCulture, $"replenishing {slot}: the job ended before new spare process {pid} was ready ({ms:F0} ms); it left")
            : failure.Length == 0
            ? string.Create(CultureInfo.InvariantCulture, $"replenished {slot}: new spare process {pid} ready in {ms:F0} ms")
            : string.Create(CultureInfo.InvariantCulture, $"replenishing {slot} failed after {ms:F0} ms: {failure}; a later migration to {slot.Host} spawns");
        if (failure.Length > 0)
        {
            Console.Error.WriteLine($"mitten: rank {Rank} (left the group): {outcome}");
        }
        ProtocolTrace.Write(Rank, outcome);
        job?.AppendEvent("spare_replenished", Rank, session.Id, session.Request?.Id,
            string.Create(CultureInfo.InvariantCulture, $"\"ok\":{(failure.Length == 0 && !ended ? "true" : "false")},\"host\":\"{System.Text.Json.JsonEncodedText.Encode(slot.Host)}\",\"pid\":{pid},\"ms\":{ms:F0}"));
    }

    /// <summary>
    /// A text message from the new spare (rank 0 of <paramref name="inter"/>), or null past the
    /// deadline, or as soon as process <paramref name="pid"/> is gone when it runs on this host.
    /// </summary>
    private static string? AwaitText(Communicator inter, int tag, Deadline deadline, int pid = 0, string? host = null)
    {
        bool local = pid > 0 && (host == "localhost" || string.Equals(host, Mpi.ProcessorName, StringComparison.OrdinalIgnoreCase));
        Status found;
        int polls = 0;
        while (!inter.Iprobe(0, tag, out found))
        {
            if (deadline.Expired || (local && ++polls % 100 == 0 && !Directory.Exists($"/proc/{pid}")))
            {
                return null;
            }
            Thread.Sleep(1);
        }
        byte[] bytes = new byte[found.GetCount<byte>()];
        inter.Recv<byte>(bytes, 0, tag);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Pj's way out when a blocking call of the replenishment does not return: it has committed, so it just leaves.</summary>
    private void LeaveAfterReplenishing(SpareInfo slot, string why)
    {
        if (why.Length > 0)
        {
            Console.Error.WriteLine($"mitten: rank {Rank} (left the group): replenishing {slot} failed: {why}");
        }
        Console.Out.Flush();
        Console.Error.Flush();
        ExitProcess(0);
    }

    /// <summary>
    /// The new spare opens the slot's doorbell (port <paramref name="port"/>) before it warms up,
    /// or leaves (empty SPARE_READY) when it cannot, or when <paramref name="deadlineUnixMs"/> has
    /// passed (the members no longer wait for it at the end of the job).
    /// </summary>
    private static ReplenishedDoorbell OpenReplenishedDoorbell(Communicator spawnedBy, int port, long deadlineUnixMs)
    {
        string? why = null;
        TcpListener? listener = null;
        if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > deadlineUnixMs)
        {
            why = "it started after the replenishing deadline";
        }
        else
        {
            try
            {
                listener = SpareDoorbell.Listen(port);
            }
            catch (SocketException e)
            {
                why = $"it cannot open the doorbell port {port}: {e.Message}";
            }
        }
        if (listener is null)
        {
            spawnedBy.Send<byte>([], 0, ControlTag.SpareReady);
            LeaveAsSpare(why);
        }
        return new ReplenishedDoorbell(listener!);
    }

    /// <summary>A replenished spare, once ready, leaves the process that spawned it (which then exits).</summary>
    private static void LeaveReplenisher(Communicator spawnedBy)
    {
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Step, () => LeaveAsSpare("the process that started it did not disconnect")))
        {
            spawnedBy.Disconnect();
        }
    }

    /// <summary>
    /// A replenished spare's doorbell while it warms up: a background thread (no MPI) answers
    /// TAKE with BUSY, PING with PONG and EXIT with BYE (the spare then leaves), so neither a
    /// migration nor the end of the job waits for the warm-up.
    /// </summary>
    private sealed class ReplenishedDoorbell
    {
        private readonly TcpListener listener;
        private readonly Thread responder;
        private volatile bool warm;

        /// <summary>EXIT came during the warm-up (the job is ending): answered BYE; the spare leaves once its main thread may talk to MPI.</summary>
        internal bool ExitRequested { get; private set; }

        internal ReplenishedDoorbell(TcpListener listener)
        {
            this.listener = listener;
            responder = new Thread(Respond) { IsBackground = true, Name = "mitten-spare-doorbell" };
            responder.Start();
        }

        /// <summary>Warm: the responder stops (within 50 ms) and the spare's own wait takes over the listener.</summary>
        internal TcpListener Finish(Communicator spawnedBy)
        {
            warm = true;
            responder.Join();
            if (ExitRequested)
            {
                spawnedBy.Send<byte>(Encoding.UTF8.GetBytes(JobEndedWord), 0, ControlTag.SpareReady);
                LeaveAsSpare(null);
            }
            return listener;
        }

        private void Respond()
        {
            while (!warm)
            {
                if (SpareDoorbell.NextCall(listener, 50_000) is not var (command, caller))
                {
                    continue;
                }
                if (command == SpareDoorbell.Exit)
                {
                    // The main thread tells the process that started it (MPI is the main thread's
                    // alone), then leaves; later calls are refused, which the end of the job accepts.
                    SpareDoorbell.Answer(caller, "BYE");
                    caller.Dispose();
                    ExitRequested = true;
                    listener.Stop();
                    return;
                }
                SpareDoorbell.Answer(caller, command == SpareDoorbell.Ping ? "PONG" : SpareDoorbell.Busy);
                caller.Dispose();
            }
        }
    }
}
