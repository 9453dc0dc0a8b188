using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// A warm spare's side (docs/PROTOCOL.md, "Warm spares"). A process the group spawned at start
/// learns its role (SPARE_ROLE instead of a migration header), compiles the protocol and the
/// application's codec, opens an MPI port and its doorbell, reports SPARE_READY to rank 0, and
/// waits in the kernel. TAKE makes it a replacement: it accepts the moving rank's connection and
/// goes on exactly as a spawned replacement. EXIT, or the end of the process that launched it,
/// makes it leave (exit 0, without MPI_Finalize, which would wait for the whole job).
/// </summary>
internal sealed partial class GroupProtocol
{
    private static void SendHello(Communicator parent) =>
        parent.Send<byte>(Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), 0, ControlTag.Hello);

    /// <summary>
    /// A spawned process's role: null for a replacement (its header is there; it is read next),
    /// else the SPARE_ROLE message: [1] from rank 0 for a spare started with the job, or
    /// [2, doorbell port, deadline in Unix ms] from a moving rank that replenishes a used spare
    /// (docs/PROTOCOL.md, "Replenishing"). ABANDON or nothing within the restore limit plus a
    /// step: the process leaves.
    /// </summary>
    private static long[]? AwaitRole(Communicator parent)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Step + ProtocolTimeouts.Restore, "a role (migration header or SPARE_ROLE) from the group");
        while (true)
        {
            if (parent.Iprobe(0, ControlTag.Header, out _))
            {
                return null;
            }
            if (parent.Iprobe(0, ControlTag.SpareRole, out Status found))
            {
                long[] role = new long[Math.Max(1, found.GetCount<long>())];
                parent.Recv<long>(role, 0, ControlTag.SpareRole);
                return role;
            }
            if (parent.Iprobe(0, ControlTag.Abandon, out _) || deadline.Expired)
            {
                LeaveAsReplacement(null, deadline.Expired ? deadline.Describe() : "the moving rank rolled the migration back");
            }
            Thread.Sleep(0);
        }
    }

    /// <summary>Warms up, reports ready, waits for TAKE or EXIT; returns the intercommunicator to the rank that took it.</summary>
    private static Communicator ServeAsSpare(Communicator spawnedBy, Action warmRestore, long[] role)
    {
        // A replenished spare (SpareReplenishment.cs) opens the used spare's doorbell first, and
        // answers it (BUSY, or BYE to EXIT) while it warms up, so no caller waits on it.
        ReplenishedDoorbell? early = role.Length >= 3 && role[0] == 2 ? OpenReplenishedDoorbell(spawnedBy, (int)role[1], role[2]) : null;
        ProtocolWarmup.Start();
        warmRestore();   // the application codec's restore (and save) on a stand-in (CodecWarmup)
        RestoredArrays.Warm(); // compiled for the application's after-restore allocations
        WarmHeaderCode();
        ExerciseReplacementPath();
        try
        {
            resumePathWarmed = true;
            ExerciseResumePath(); // the protocol object a replacement builds after COMMIT, over a copy of MPI_COMM_SELF
        }
        catch (MpiException e)
        {
            // Only a warm-up: the spare serves all the same, and the replacement compiles this after COMMIT.
            ProtocolTrace.Write(-1, $"spare: the resume path's warm-up failed ({e.Message})");
        }
        HeapHugePages.Advise(); // compiled and marked while idle; marked again when taken (the warm-up's collections may have remapped parts)
        ReceiveMemory.PrepareInBackground(); // memory for the state, written once while idle (MITTEN_RECEIVE_MEMORY_MIB)
        ProtocolWarmup.ReportSpareStartup();
        string port;
        TcpListener doorbell;
        try
        {
            port = Communicator.OpenPort();
            doorbell = early?.Finish(spawnedBy) ?? SpareDoorbell.Listen();
        }
        catch (Exception e) when (e is MpiException or SocketException)
        {
            spawnedBy.Send<byte>([], 0, ControlTag.SpareReady);
            LeaveAsSpare($"it cannot serve: {e.Message}");
            throw; // unreachable
        }
        var me = new SpareInfo
        {
            Host = Mpi.ProcessorName,
            Pid = Environment.ProcessId,
            DoorbellPort = ((IPEndPoint)doorbell.LocalEndpoint).Port,
            MpiPort = port,
        };
        spawnedBy.Send<byte>(Encoding.UTF8.GetBytes(me.ToLine()), 0, ControlTag.SpareReady);
        if (early is null)
        {
            SpareJoinsPool(spawnedBy); // SparePools.cs: the group and this spawn's spares merge once, here
        }
        else
        {
            LeaveReplenisher(spawnedBy); // no pool: it is taken over the connect/accept path
        }
        FaultInjection.At("ready", early is null ? "spare" : "replenished");
        // Ring this spare's own doorbell once (answered below) so that, should it become a rank
        // that moves again, its first TAKE of another spare finds the call's code compiled.
        _ = Task.Run(() => SpareDoorbell.Call(me, SpareDoorbell.Ping, me.Host, out _));
        RestoreHeapBudget.StartWhileIdle(); // the restore's allocations then need no collection in the freeze
        while (true)
        {
            if (SpareDoorbell.WaitForCall(doorbell) is not var (command, caller))
            {
                LeaveAsSpare(null); // the job's launcher is gone
                return null!;
            }
            if (command == SpareDoorbell.Ping)
            {
                SpareDoorbell.Answer(caller, "PONG");
                caller.Dispose();
                continue;
            }
            if (command == SpareDoorbell.Exit)
            {
                SpareDoorbell.Answer(caller, "BYE");
                caller.Dispose();
                LeaveAsSpare(null);
            }
            if (command.StartsWith(SpareDoorbell.Take + " ", StringComparison.Ordinal))
            {
                // A replenished spare is in no pool and its MPI port is new: it tells the caller,
                // who then connects (the TAKE's pool words, if any, are ignored).
                // " ring=FD:ADDRESS": its prepared state ring, for the moving rank to open and write directly (StateRing.Direct.cs).
                SpareDoorbell.Answer(caller, (early is null ? "OK" : $"OK {Environment.ProcessId} {port}") + StateRing.AnswerNamingPreparedRing());
                if (ProtocolTrace.Enabled)
                {
                    (int rounds, double ms, long pages) = KeepWarm.Spent;
                    ProtocolTrace.Write(-1, string.Create(CultureInfo.InvariantCulture, $"spare: TAKE answered (kept warm: {rounds} rounds, {pages} pages, {ms:F1} ms)"));
                }
                TcpStateConnection.Keep(caller); // the moving rank may send the state over it (TcpStateChannels.cs)
                doorbell.Stop(); // taken: nobody else may ring (a later call is refused, so the caller skips this spare)
                HeapHugePages.AdviseInBackground(); // done by the time the header arrives (StateTransfer.OpenReceiver waits for it)
                Communicator fromMovingRank;
                // "TAKE id POOL RANK": the moving rank shares this spare's pool and is RANK in it.
                string[] words = command.Split(' ');
                Communicator? pool = null;
                int takerRank = -1;
                if (early is null && words.Length is 4 or 5 && poolOfThisSpare is { } mine &&
                    int.TryParse(words[2], CultureInfo.InvariantCulture, out int poolId) && poolId == mine.Id &&
                    int.TryParse(words[3], CultureInfo.InvariantCulture, out takerRank))
                {
                    pool = mine.Pool;
                }
                // "TAKE id POOL RANK P": the taker uses the intercommunicator prepared at start (PreparedGroups.cs).
                Communicator? prepared = pool is not null && words.Length == 5 && words[4] == "P" ? TakePreparedIntercommunicatorOfThisSpare(takerRank) : null;
                using (BlockingCallLimit.Arm(ProtocolTimeouts.Step, () => LeaveAsReplacement(null, "the moving rank did not connect after taking this spare")))
                {
                    fromMovingRank = prepared ?? (pool is not null
                        ? Mpi.Self.CreateIntercommunicator(0, pool, takerRank, ControlTag.PoolTake)
                        : Mpi.Self.Accept(port, 0));
                }
                Communicator.ClosePort(port);
                parentMadeOverPool = pool is not null; // freed, not disconnected, after COMMIT (as the moving rank does, Steps/Spares.cs)
                ProtocolTrace.Write(-1, "spare: intercommunicator to the moving rank ready");
                return fromMovingRank;
            }
            caller.Dispose();
        }
    }

    /// <summary>
    /// Runs the header's codec both ways while idle (the replacement reads a header, and
    /// writes one if it moves again), so neither costs time while the group is frozen; an original
    /// rank passes the header it would send (<paramref name="sample"/>), a spare a small sample.
    /// </summary>
    internal static void WarmHeaderCode(ReplacementHeader? sample = null)
    {
        sample ??= new ReplacementHeader { PoolMembers = [0], Spares = [new SpareInfo()], Timeline = [new PhaseTime("warm", 0)] };
        _ = Messages.HeaderCodec.Decode(Messages.HeaderCodec.Encode(sample));
    }

    /// <summary>A spare that is no longer needed leaves: exit 0, quietly unless something went wrong.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void LeaveAsSpare(string? why)
    {
        if (why is not null)
        {
            Console.Error.WriteLine($"mitten: spare (process {Environment.ProcessId}) leaves: {why}");
        }
        Console.Out.Flush();
        Console.Error.Flush();
        ExitProcess(0);
        throw new InvalidOperationException("unreachable");
    }
}
