using System.Diagnostics;
using System.Text;
using Mitten.Checkpoint.Communication;
using Mitten.Control;
using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// Step 5, the replacement Pn (patent 000's initialize()): receive the header from Pj, then
/// restore the received-message-list and the state while they stream in (<see cref="StateTransfer"/>), report restore_complete with a port,
/// accept the group's connection, take rank j in Cnew, and resume after the commit. Until it
/// is a member of Cnew a replacement that cannot go on leaves quietly (exit 0, so mpiexec does
/// not end the job): Pj rolls back. The requests Pj had queued arrive in the header and stay queued here.
/// </summary>
internal sealed partial class GroupProtocol
{
    internal static GroupProtocol StartReplacement(Communicator parent, Action<Stream> restoreApplicationState,
        Action<Stream> captureApplicationState, Func<string?, JobDirectory?> openJob, Action warmRestore)
    {
        ProtocolTrace.Write(-1, "replacement: after MPI_Init");
        ProtocolWarmup.PrepareStateReceiveInBackground();
        SendHello(parent);
        ProtocolTrace.Write(-1, "replacement: HELLO sent");
        if (AwaitRole(parent) is { } role)
        {
            // A warm spare (Steps/SpareRole.cs): it waits until a moving rank takes it, then is
            // that rank's replacement from here on, over the intercommunicator the rank connected.
            parent = ServeAsSpare(parent, warmRestore, role);
            SendHello(parent);
        }
        long awaitHeader = Stopwatch.GetTimestamp();
        byte[] headerBytes = ReceiveFromMovingRank(parent, ControlTag.Header);
        long headerCame = Stopwatch.GetTimestamp();
        ReplacementHeader header = DecodeHeader(parent, headerBytes);
        if (header.Fault == "die-before-restore")
        {
            ExitProcess(3); // fault injection for the tests: the replacement dies before the commit
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(header.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"replacement: header received (waited {Stopwatch.GetElapsedTime(awaitHeader, headerCame).TotalMilliseconds:F2} ms, parsed in {Stopwatch.GetElapsedTime(headerCame).TotalMilliseconds:F2} ms)"));
        }
        FaultInjection.UseSetting(header.Fault);
        FaultInjection.At("restoring", header.Rank, replacement: true);
        // The state streams in while the codec restores it (StateTransfer): arrival and restore overlap.
        var received = new ReceivedMessageList();
        StateReceiver? state = null;
        bool lateHeader = header.FinalHeaderFollows;
        long faultsBefore = ProtocolTrace.Enabled ? HeapHugePages.MinorFaults() : 0;
        int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
        long restoreStart = Stopwatch.GetTimestamp(), opened = 0, listRead = 0, codecDone = 0;
        try
        {
            state = StateTransfer.OpenReceiver(parent, header.StateChannel, why => LeaveAsReplacement(header, why));
            opened = Stopwatch.GetTimestamp();
            // The application's section first (its state is final from the moving rank's stop),
            // then the received-message-list (complete only after the drain): StateTransfer.cs.
            state.ReadApplicationState(restoreApplicationState);
            codecDone = Stopwatch.GetTimestamp();
            if (lateHeader)
            {
                // Sent after the drain, before the list: the fields as they are after the synchronization.
                header = HeaderCodec.Decode(ReceiveFromMovingRank(parent, ControlTag.Header)); // a bad one is the catch's restore failure
            }
            received.PrependAll(ReceivedMessageList.Deserialize(state.ReadCommunicationState()));
            listRead = Stopwatch.GetTimestamp();
            state.DrainToEnd();
            header.StateBytes = state.BytesReceived;
            if (ProtocolTrace.Enabled && state.TransportStats.Length > 0)
            {
                ProtocolTrace.Write(header.Rank, "replacement: state transport: " + state.TransportStats);
            }
        }
        catch (Exception e)
        {
            parent.Send<byte>(Encoding.UTF8.GetBytes($"{e.GetType().Name}: {e.Message}"), 0, ControlTag.RestoreFailed);
            LeaveAsReplacement(header, $"restoring the state failed ({e.GetType().Name}: {e.Message}); rank {header.Rank} stays where it was");
        }
        finally
        {
            state?.Release();
            RestoreHeapBudget.EndAfterRestore(); // a spare's heap set aside for the restore (Spares/RestoreHeapBudget.cs)
        }
        double stateArrivedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(header.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"replacement: state restored ({header.StateBytes} bytes, {HeapHugePages.MinorFaults() - faultsBefore} minor faults; heap huge pages: {HeapHugePages.LastAdvisedBytes} bytes marked in {HeapHugePages.LastAdviseMs:F2} ms; prepared memory placed: {ReceiveMemory.PlacedBytes} bytes): " +
                $"{GC.CollectionCount(0) - gen0Before} garbage collections ({GC.CollectionCount(2) - gen2Before} full), " +
                $"receiver opened {Stopwatch.GetElapsedTime(restoreStart, opened).TotalMilliseconds:F1} ms, " +
                $"application codec {Stopwatch.GetElapsedTime(opened, codecDone).TotalMilliseconds:F1} ms (its after-restore step {MigratableCodec.LastAfterRestoreMs:F1} ms; RestoredArrays: allocations {RestoredArrays.Spent.AllocateMs:F1} ms, placing {RestoredArrays.Spent.PlaceMs:F1} ms), " +
                $"{(lateHeader ? "final header and " : "")}message list {Stopwatch.GetElapsedTime(codecDone, listRead).TotalMilliseconds:F1} ms, rest of the stream {Stopwatch.GetElapsedTime(listRead).TotalMilliseconds:F1} ms; " +
                $"warm-up started before MPI_Init {ProtocolWarmup.BeforeInitMilliseconds:F1} ms (of it the restore's {ProtocolWarmup.RestoreMethodsPrepared} methods {ProtocolWarmup.RestorePrepareMilliseconds:F1} ms), waited for {ProtocolWarmup.BeforeInitWaitMilliseconds:F1} ms"));
        }
        double restoredMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JobDirectory? job = openJob(header.JobDirectory);
        job?.AppendEvent("restore_complete", header.Rank, header.MigrationId, header.RequestId, null);

        // A spare of a pool holding the whole group joins it with MPI_Comm_create_group over the
        // pool (SparePools.cs); otherwise the group connects to a port (step 5.5).
        (int Id, Communicator Pool)? pool = header.PoolMembers is not null && poolOfThisSpare is { } p && p.Id == header.PoolId ? p : null;
        Communicator group, controlCommunicator;
        SuperstepWindow window;
        long rebuildStart = Stopwatch.GetTimestamp();
        PreparedGroup? prepared = header.Prepared ? TakePreparedGroupOfThisSpare(header) : null;
        if (header.Prepared && prepared is null)
        {
            parent.Send<byte>(Encoding.UTF8.GetBytes($"this spare has no prepared group for rank {header.Rank}"), 0, ControlTag.RestoreFailed);
            LeaveAsReplacement(header, "the moving rank named a prepared group this spare does not have");
        }
        if (prepared is not null)
        {
            // The group, its control channel and window were made at start (PreparedGroups.cs);
            // this spare's entry holds its superstep from here on, before RESTORED.
            parent.Send<byte>(Encoding.UTF8.GetBytes("prepared"), 0, ControlTag.Restored);
            FaultInjection.At("restored", header.Rank, replacement: true);
            group = prepared.Group;
            controlCommunicator = prepared.Control;
            window = prepared.Window;
            SendJoined(parent, header);
        }
        else if (pool is { } shared)
        {
            parent.Send<byte>(Encoding.UTF8.GetBytes("pool"), 0, ControlTag.Restored);
            FaultInjection.At("restored", header.Rank, replacement: true);
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => LeaveAsReplacement(header, "the group did not make the new group (the migration was rolled back or the group is lost)")))
            {
                group = GroupFromPool(shared.Pool, header.PoolMembers!);
            }
            long made = Stopwatch.GetTimestamp();
            SendJoined(parent, header);
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => AbortProcessGroup(group, 75)))
            {
                controlCommunicator = group.Dup();
                long duplicated = Stopwatch.GetTimestamp();
                window = new SuperstepWindow(group, header.Superstep + 1, sharedMemory: false);
                if (ProtocolTrace.Enabled)
                {
                    ProtocolTrace.Write(header.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"replacement: MPI_Comm_create_group {Stopwatch.GetElapsedTime(rebuildStart, made).TotalMilliseconds:F1} ms, MPI_Comm_dup {Stopwatch.GetElapsedTime(made, duplicated).TotalMilliseconds:F1} ms, MPI_Win_create {Stopwatch.GetElapsedTime(duplicated).TotalMilliseconds:F1} ms"));
                }
            }
        }
        else
        {
            string port = Communicator.OpenPort();
            ProtocolTrace.Write(header.Rank, "replacement: port opened");
            parent.Send<byte>(Encoding.UTF8.GetBytes(port), 0, ControlTag.Restored);
            FaultInjection.At("restored", header.Rank, replacement: true);
            WarmResumePathWhileTheGroupConnects();
            Communicator fromGroup;
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => LeaveAsReplacement(header, "the group did not connect (the migration was rolled back or the group is lost)")))
            {
                fromGroup = Mpi.Self.Accept(port, 0);
            }
            ProtocolTrace.Write(header.Rank, "replacement: accepted");
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => AbortProcessGroup(fromGroup, 75)))
            {
                using Communicator merged = fromGroup.Merge(high: true);
                ProtocolTrace.Write(header.Rank, "replacement: merged");
                group = InTheGroupsOrder(merged, header.Rank);
                ProtocolTrace.Write(header.Rank, "replacement: new group in order (MPI_Comm_create)");
                SendJoined(parent, header);
                fromGroup.Dispose();
                Communicator.ClosePort(port);
                controlCommunicator = group.Dup();
                ProtocolTrace.Write(header.Rank, "replacement: control channel (MPI_Comm_dup)");
                // Pj stopped at its migration point: the rank continues with the next superstep.
                window = new SuperstepWindow(group, header.Superstep + 1, sharedMemory: false);
            }
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(header.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"replacement: joined the new group ({(prepared is not null ? "prepared group" : pool is null ? "connect/accept" : "spare pool")}), control channel and window in {Stopwatch.GetElapsedTime(rebuildStart).TotalMilliseconds:F1} ms"));
        }
        bool committed = AwaitCommit(parent);
        ProtocolTrace.Write(header.Rank, "replacement: COMMIT received");
        // Made over the spare pool: no disconnect; COMMIT is echoed to Pj once this rank has
        // resumed, then the intercommunicator is freed (Steps/Spares.cs, docs/PROTOCOL.md step 6).
        bool echoCommit = committed && parentMadeOverPool && FreePoolIntercommunicator;
        if (committed && !echoCommit)
        {
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => AbortProcessGroup(group, 75)))
            {
                parent.Disconnect();
            }
        }
        ProtocolTrace.Write(header.Rank, echoCommit ? "replacement: resuming (COMMIT echoed after the resume)" : "replacement: disconnected");
        double committedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long committedAt = Stopwatch.GetTimestamp();

        var protocol = new GroupProtocol(group, new ControlChannel(controlCommunicator), window, received, header.Superstep, header.Collectives, captureApplicationState, job)
        {
            resumeAtMigrationPoint = true,
            GroupRebuilt = true,
            LastCheckpointDirectory = header.LastCheckpointDirectory,
        };
        protocol.KnownHosts.UnionWith(header.KnownHosts);
        protocol.Spares = header.Spares;
        if (header.ReplenishedSpare >= 0)
        {
            protocol.MarkReplenishing(header.ReplenishedSpare);
        }
        if (poolOfThisSpare is { } kept)
        {
            protocol.sparePools[kept.Id] = kept.Pool; // a former spare can take another spare of its pool
        }
        long constructed = Stopwatch.GetTimestamp();
        protocol.RestoreDerivedCommunicators(header.Derived); // collective with the joining ranks' rebuild
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(header.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"replacement: resume: protocol object {Stopwatch.GetElapsedTime(committedAt, constructed).TotalMilliseconds:F1} ms, derived communicators {Stopwatch.GetElapsedTime(constructed).TotalMilliseconds:F1} ms"));
        }

        foreach (PendingRequest pending in header.PendingRequests)
        {
            protocol.requests.Enqueue(new MigrationRequest(pending.Id, header.Rank, pending.Host, Stopwatch.GetTimestamp(), pending.CheckpointDirectory));
        }
        MigrationReport report = CommittedReport(header, stateArrivedMs, restoredMs, committedMs);
        protocol.History.Add(report);
        RecordReplacementSpans(header, stateArrivedMs, restoredMs, committedMs);
        if (!committed)
        {
            MittenLog.NoCommit(MittenLog.Logger, header.Rank, ProtocolTimeouts.Commit.TotalSeconds);
        }
        if (job is not null)
        {
            job.WriteOutcome(header.RequestId, header.Rank, MigrationOutcome.Committed, "", report, header.FromPid);
            // migration_commit is the old process's event; the replacement reports that it resumed.
            job.AppendEvent("resumed", header.Rank, header.MigrationId, header.RequestId, $"\"pid\":{Environment.ProcessId}");
            job.SetLocation(header.Rank, Mpi.ProcessorName, Environment.ProcessId);
        }
        protocol.WriteStatus("running");
        if (echoCommit)
        {
            EchoCommitAndFree(parent);
        }
        return protocol;
    }

    /// <summary>
    /// Pn, resumed, with an intercommunicator made over the pool: tells Pj (one eager 8-byte
    /// message, which does not wait for Pj) and frees it. Pj starts its after-commit work (the
    /// replenishing spawn) only then, so it does not compete with this rank's resume.
    /// </summary>
    private static void EchoCommitAndFree(Communicator parent)
    {
        try
        {
            Span<long> resumed = [1];
            parent.Send<long>(resumed, 0, ControlTag.Commit);
            parent.Dispose();
        }
        catch (MpiException e)
        {
            ProtocolTrace.Write(-1, $"replacement: COMMIT echo to the old process failed ({e.Message})"); // it is leaving anyway
        }
    }

    /// <summary>The replacement's report of a committed migration: the moving rank's timeline and this side's phases, up to now (resumed, freeze).</summary>
    private static MigrationReport CommittedReport(ReplacementHeader header, double stateArrivedMs, double restoredMs, double committedMs)
    {
        var phases = header.Timeline.Select(p => (p.Phase, p.Seconds)).ToList();
        phases.Add(("state_sent", (stateArrivedMs - header.SignalUnixMs) / 1000)); // all state has arrived
        phases.Add(("restored", (restoredMs - header.SignalUnixMs) / 1000));
        phases.Add(("committed", (committedMs - header.SignalUnixMs) / 1000));
        phases.Add(("resumed", (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - header.SignalUnixMs) / 1000));
        phases.Add(("freeze", (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - header.FreezeStartUnixMs) / 1000));
        return new MigrationReport(header.MigrationId, header.Rank, MigrationOutcome.Committed, "", phases,
            header.ProtocolSeconds, header.FromHost, Mpi.ProcessorName, header.StateBytes)
        {
            FreezeWaitSeconds = header.FreezeWaitSeconds,
            LockWaitSeconds = header.LockWaitSeconds,
        };
    }

    /// <summary>
    /// What a replacement does between COMMIT and resuming, once, while a spare is idle: a
    /// protocol object built over a copy of MPI_COMM_SELF (its control channel a second copy, its
    /// superstep window exposed with MPI_Win_create as a rebuilt group's is), the header's fields
    /// applied, the report made from a sample header's timeline and kept in its history, then the window and both copies freed. A
    /// spare had never built one, so the first was built, type loaded and compiled after the
    /// commit: 15-18 ms of the freeze in a trace at load 19. Only this process takes part; nothing
    /// is sent and no state of this process changes.
    /// </summary>
    internal static void ExerciseResumePath()
    {
        Communicator self = Mpi.Self.Dup();
        Communicator control = self.Dup();
        var window = new SuperstepWindow(self, 1, sharedMemory: false);
        var protocol = new GroupProtocol(self, new ControlChannel(control), window, new ReceivedMessageList(), 0, 0, _ => { }, null)
        {
            resumeAtMigrationPoint = true,
            GroupRebuilt = true,
            LastCheckpointDirectory = null,
        };
        protocol.KnownHosts.UnionWith([Mpi.ProcessorName]);
        protocol.Spares = [new SpareInfo()];
        protocol.RestoreDerivedCommunicators(null);
        protocol.requests.Enqueue(new MigrationRequest("warm", 0, null, Stopwatch.GetTimestamp()));
        protocol.requests.Clear();
        var sample = new ReplacementHeader { FromHost = "", Timeline = [new PhaseTime("synchronized", 0)] };
        protocol.History.Add(CommittedReport(sample, 0, 0, 0));
        window.Dispose();
        control.Dispose();
        self.Dispose();
    }

    /// <summary>Whether a spawned replacement has run <see cref="ExerciseResumePath"/> (a spare runs it in its warm-up).</summary>
    private static bool resumePathWarmed;

    /// <summary>
    /// A spawned replacement, after RESTORED and before MPI_Comm_accept: until the group connects
    /// (DECISION reaches the staying ranks, they free the old window and split the old group
    /// without the moving rank, 20-35 ms on 2 cores) this process has nothing to do but wait in
    /// the accept. It runs <see cref="ExerciseResumePath"/> there, once, as a spare does in its
    /// warm-up, so the protocol object it builds after COMMIT meets compiled code (cold, that
    /// object and the report after it were 15-25 ms of the freeze). Only this process takes part
    /// (MPI_COMM_SELF copies); MITTEN_SPAWN_WARM_RESUME=0 leaves it to after the commit.
    /// </summary>
    private static void WarmResumePathWhileTheGroupConnects()
    {
        if (resumePathWarmed || Environment.GetEnvironmentVariable("MITTEN_SPAWN_WARM_RESUME") == "0")
        {
            return;
        }
        resumePathWarmed = true;
        long start = Stopwatch.GetTimestamp();
        try
        {
            ExerciseResumePath();
        }
        catch (MpiException)
        {
            return; // only a warm-up: the protocol object after COMMIT is then compiled there, as before
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(-1, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"replacement: resume path warmed before the accept in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F1} ms"));
        }
    }

    /// <summary>
    /// JOINED to Pj as soon as the new group exists (made from the pool, or merged and split):
    /// Pj is in none of what follows (the control channel and the window are made over the new
    /// group), so its commit (journal event, COMMIT, disconnect) runs while the new group makes them.
    /// </summary>
    private static void SendJoined(Communicator parent, ReplacementHeader header)
    {
        Span<long> joined = [1];
        parent.Send<long>(joined, 0, ControlTag.Joined);
        FaultInjection.At("joined", header.Rank, replacement: true);
    }

    /// <summary>Receives one transfer message from Pj within the step limit; ABANDON (Pj rolled back) or silence makes the replacement leave.</summary>
    private static byte[] ReceiveFromMovingRank(Communicator parent, int tag)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Step + ProtocolTimeouts.Restore, $"message {tag} from the moving rank");
        while (true)
        {
            if (parent.Iprobe(0, tag, out Status status))
            {
                byte[] bytes = new byte[status.GetCount<byte>()];
                parent.Recv<byte>(bytes, 0, tag);
                return bytes;
            }
            if (parent.Iprobe(0, ControlTag.Abandon, out _) || deadline.Expired)
            {
                LeaveAsReplacement(null, deadline.Expired ? deadline.Describe() : "the moving rank rolled the migration back");
            }
            Thread.Sleep(0);
        }
    }

    /// <summary>After JOINED: COMMIT from Pj, within the commit limit. Without it the new group is complete all the same (Pj is not in it), so the replacement goes on.</summary>
    private static bool AwaitCommit(Communicator parent)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Commit, "COMMIT");
        while (!parent.Iprobe(0, ControlTag.Commit, out _))
        {
            if (deadline.Expired)
            {
                return false;
            }
            Thread.Yield();
        }
        Span<long> commit = [0];
        parent.Recv<long>(commit, 0, ControlTag.Commit);
        return true;
    }

    /// <summary>
    /// The header (<see cref="HeaderCodec"/>); one that is not a header of this program's format is
    /// a failed restore: the moving rank hears why (RESTORE_FAILED) and rolls back, and this process leaves.
    /// </summary>
    private static ReplacementHeader DecodeHeader(Communicator parent, byte[] bytes)
    {
        try
        {
            return HeaderCodec.Decode(bytes);
        }
        catch (InvalidDataException e)
        {
            parent.Send<byte>(Encoding.UTF8.GetBytes(e.Message), 0, ControlTag.RestoreFailed);
            LeaveAsReplacement(null, e.Message);
            throw; // unreachable
        }
    }

    /// <summary>A replacement that is not (yet) a member of the group leaves: one line, exit 0 (the moving rank rolls back or has rolled back).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void LeaveAsReplacement(ReplacementHeader? header, string why)
    {
        string rank = header is null ? "" : $" for rank {header.Rank}";
        MittenLog.ReplacementLeaves(MittenLog.Logger, rank, Environment.ProcessId, why);
        MittenLog.FlushStandardError();
        ExitProcess(0);
        throw new InvalidOperationException("unreachable");
    }
}
