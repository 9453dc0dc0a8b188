using System.Diagnostics;
using System.Text;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// Step 5, the moving rank Pj (patent 002 Fig. 5 CommUpdate, with patent 000's migrate()):
/// spawn the replacement Pn, send it the header, then stream the received-message-list and the
/// state to it while the codec captures it (<see cref="StateTransfer"/>), wait for restore_complete, then decide: commit (every rank joins Pn) or roll
/// back (nothing has changed for the group). After the commit Pj leaves without MPI_Finalize.
/// </summary>
internal sealed partial class GroupProtocol
{
    private long freezeStartTicks;

    /// <summary>Whether a migration's target <paramref name="host"/> is this process's own host ("localhost" included).</summary>
    private static bool IsThisHost(string host) => host == "localhost" || host == Mpi.ProcessorName;

    /// <summary>The target <paramref name="host"/> by its name ("localhost" is this process's host).</summary>
    private static string HostNamed(string host) => host == "localhost" ? Mpi.ProcessorName : host;

    private void MigrateThisProcess(SynchronizationSession session)
    {
        freezeStartTicks = Stopwatch.GetTimestamp();
        Mark("synchronized");
        job?.AppendEvent("synchronized", Rank, session.Id, session.Request?.Id, null);
        string host = session.TargetHost!;
        // A spare taken at initiation, its sender, and the capture started at the stop (Steps/EarlyState.cs).
        EarlyTransfer? early = TakeEarlyTransfer(session);
        if (!KnownHosts.Contains(host))
        {
            RollBack(session, $"host '{host}' is not one of the job's hosts ({string.Join(", ", KnownHosts.Order())}); " +
                     "add it to MITTEN_HOSTS if the MPI launcher can start processes there", spawnAttempted: false);
            return;
        }
        // The application's state is streamed to the replacement by the codec (StateTransfer);
        // only the received-message-list is captured here, complete now that the drain is over.
        byte[] communicationState = Received.Serialize();

        // A free warm spare on the target host replaces the spawn (Steps/Spares.cs); without one, spawn.
        SpareInfo? spare = early?.Spare;
        Communicator? taken = early is not null ? early.Inter : TakeSpare(host, session, out spare);
        bool fromSpare = taken is not null;
        if (fromSpare && early is null)
        {
            Mark("spare_taken");
        }
        Communicator? inter = taken ?? SpawnReplacement(session, host);
        if (inter is null)
        {
            return; // the spawn failed: rolled back
        }
        FaultInjection.At("spawned", Rank);
        // One event either way (the control directory's contract), saying how the replacement was obtained.
        job?.AppendEvent("spawned", Rank, session.Id, session.Request?.Id, fromSpare ? "\"replacement\":\"spare\"" : "\"replacement\":\"spawn\"");

        bool sameHost = IsThisHost(host);
        ProtocolTrace.Write(Rank, "spawn step: spawned event written");
        StateSender state;
        long openStart = Stopwatch.GetTimestamp();
        try
        {
            state = early is null ? StateTransfer.OpenSender(inter, sameHost, fromSpare ? spare?.Pid ?? 0 : 0) // a spare's prepared state ring, if it has one
                : early.Sender ?? throw new StateTransferException(early.OpenFailure ?? "no sender");
        }
        catch (StateTransferException e)
        {
            AbandonReplacement(inter, 0, host);
            RollBack(session, "the state transfer could not start: " + e.Message, spawnAttempted: true);
            return;
        }
        bool releaseState = true;
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"state sender opened in {Stopwatch.GetElapsedTime(openStart).TotalMilliseconds:F2} ms (ring opened ahead in {StateRing.LastPreopenMs:F2} ms, {(StateRing.LastClaimWasPreopened ? "used" : "not used")})"));
        }
        try
        {
            if (early is null || !early.HeaderSent)
            {
                SendHeader(session, host, inter, state, spare, finalHeaderFollows: false);
            }
            string? sendFailure = null;
            bool replacementFailed = false;
            try
            {
                if (early?.Capture is not null)
                {
                    // The application's section was captured from the stop on its own thread; the list goes last.
                    if (!JoinCapture(early))
                    {
                        releaseState = false; // still the capture thread's
                        sendFailure = $"capturing the state did not end within {(ProtocolTimeouts.Restore + ProtocolTimeouts.Step).TotalSeconds:0} s";
                    }
                    else if (early.CaptureFailure is { } captureFailure)
                    {
                        throw captureFailure is StateTransferException ? new StateTransferException(captureFailure.Message) : new CodecFailure(captureFailure);
                    }
                    else
                    {
                        SendHeader(session, host, inter, state, spare, finalHeaderFollows: false);
                        state.SendCommunicationStateAndEnd(communicationState);
                        if (ProtocolTrace.Enabled)
                        {
                            ProtocolTrace.Write(Rank, $"received-message-list sent last: {Received.Count} messages, {Received.Count - early.ListAtStop} taken after the stop");
                        }
                    }
                }
                else
                {
                    state.Send(communicationState, captureApplicationState);
                }
            }
            catch (StateTransferException e)
            {
                sendFailure = "sending the state failed: " + e.Message;
                // A replacement that failed while reading tells why (RESTORE_FAILED, reported below).
                replacementFailed = inter.Iprobe(0, ControlTag.RestoreFailed, out _);
            }
            catch (Exception e)
            {
                // The codec's own failure is the cause, whatever the replacement made of the part it read.
                Exception codec = e is CodecFailure wrapped ? wrapped.InnerException! : e;
                sendFailure = $"the state codec could not save this rank's state: {codec.GetType().Name}: {codec.Message}";
            }
            if (sendFailure is not null && !replacementFailed)
            {
                AbandonReplacement(inter, state.ReaderPid, host); // the reader's pid, where the route knows it: a stopped one is continued to read ABANDON
                RollBack(session, sendFailure, spawnAttempted: true);
                return;
            }
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"state written ({state.BytesSent} bytes, {state.Channel})"));
                if (state.TransportStats.Length > 0)
                {
                    ProtocolTrace.Write(Rank, "state transport: " + state.TransportStats);
                }
            }
            Mark("state_sent", state.BytesSent);
            FaultInjection.At("state_sent", Rank);
            job?.AppendEvent("state_sent", Rank, session.Id, session.Request?.Id, $"\"bytes\":{state.BytesSent}");

            (string? port, string failure, int replacementPid) = AwaitRestoreComplete(inter, host);
            if (port is null)
            {
                AbandonReplacement(inter, replacementPid, host);
                RollBack(session, failure, spawnAttempted: true);
                return;
            }
            Mark("restored");
            // With a spare of a pool that holds the whole group, the new group is made from the pool
            // (SparePools.cs), without connect/accept; otherwise the group connects to Pn's port.
            List<int>? poolMembers = spare is null ? null : PoolMembersReplacingMe(spare);
            // A group prepared at start for this spare in this rank's place commits with no collective call (PreparedGroups.cs).
            bool prepared = poolMembers is not null && HasPreparedGroup(spare!);
            string rebuild = prepared ? PreparedDecision(spare!.Pool, spare.PoolRank) : poolMembers is null ? port : PoolDecision(spare!.Pool, poolMembers);
            ProtocolTrace.Write(Rank, "commit path: " + (prepared ? "prepared group" : poolMembers is null ? "connect/accept" : "MPI_Comm_create_group over the spare pool"));
            CommitAndLeave(session, inter, rebuild, SlotToReplenish(spare));
        }
        finally
        {
            if (releaseState)
            {
                state.Dispose(); // open until the replacement has read everything
            }
        }
    }

    /// <summary>A codec's exception from the capture thread, rethrown here as the codec's failure.</summary>
    private sealed class CodecFailure(Exception inner) : Exception(inner.Message, inner);

    /// <summary>
    /// The header to the replacement: the one header (after the drain), or, with the early
    /// capture, one at the stop (<paramref name="finalHeaderFollows"/>) and the final one after
    /// the drain, before the received-message-list.
    /// </summary>
    private void SendHeader(SynchronizationSession session, string host, Communicator inter, StateSender state, SpareInfo? spare, bool finalHeaderFollows)
    {
        long headerStart = Stopwatch.GetTimestamp();
        List<int>? poolMembers = spare is null ? null : PoolMembersReplacingMe(spare);
        ReplacementHeader header = BuildHeader(session, host, state.Channel, poolMembers is null ? -1 : spare!.Pool, poolMembers);
        header.ReplenishedSpare = SlotToReplenish(spare)?.Id ?? -1;
        header.Prepared = poolMembers is not null && HasPreparedGroup(spare!);
        header.FinalHeaderFollows = finalHeaderFollows;
        byte[] headerBytes = HeaderCodec.Encode(header);
        long built = Stopwatch.GetTimestamp();
        inter.Send<byte>(headerBytes, 0, ControlTag.Header);
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, (finalHeaderFollows ? "header sent (at the stop; the final one follows)" : "header sent") +
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $": {headerBytes.Length} bytes, built in {Stopwatch.GetElapsedTime(headerStart, built).TotalMilliseconds:F2} ms, sent in {Stopwatch.GetElapsedTime(built).TotalMilliseconds:F2} ms"));
        }
    }

    /// <summary>The header for the replacement (also built once at start-up, ExerciseSynchronization, so its code is compiled).</summary>
    private ReplacementHeader BuildHeader(SynchronizationSession session, string host, string stateChannel, int poolId, List<int>? poolMembers) =>
        new()
        {
            MigrationId = session.Id,
            RequestId = session.Request?.Id ?? "",
            Rank = Rank,
            Size = Size,
            Superstep = Superstep,
            Collectives = Collectives,
            FromHost = Mpi.ProcessorName,
            ToHost = host,
            FromPid = Environment.ProcessId,
            SignalUnixMs = SignalUnixMs(),
            TraceParent = migrationSpan?.Id,
            Timeline = TimelineForHeader(),
            ProtocolSeconds = (double)session.ProtocolTicks / Stopwatch.Frequency,
            FreezeWaitSeconds = (double)session.FreezeWaitTicks / Stopwatch.Frequency,
            LockWaitSeconds = (double)session.LockWaitTicks / Stopwatch.Frequency,
            FreezeStartUnixMs = UnixMsOf(freezeStartTicks),
            StateChannel = stateChannel,
            JobDirectory = job?.Path,
            KnownHosts = KnownHosts.ToList(),
            Fault = Environment.GetEnvironmentVariable("MITTEN_TEST_REPLACEMENT_FAULT") ?? FaultInjection.Setting,
            PendingRequests = requests.Select(r => new PendingRequest(r.Id, r.Host, r.CheckpointDirectory)).ToList(),
            LastCheckpointDirectory = LastCheckpointDirectory,
            Spares = Spares,
            Derived = DescribeDerivedCommunicators(),
            PoolId = poolId,
            PoolMembers = poolMembers,
        };

    /// <summary>Spawns the replacement on <paramref name="host"/> (today's path without a spare); null when it failed and the migration was rolled back.</summary>
    private Communicator? SpawnReplacement(SynchronizationSession session, string host)
    {
        _ = JitWorkerPriority.Lower(); // this process leaves on a commit; a rollback restores it (EndSynchronization)
        Communicator inter;
        try
        {
            using Info info = Info.Create();
            info.Set("host", host);
            info.Set("wdir", Directory.GetCurrentDirectory());
            SetSpawnEnvironment(info, replacement: true);
            (string command, string[] arguments) = ReplacementCommand();
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(Rank, $"spawning the replacement on '{host}' did not return within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
            {
                ProtocolTrace.Write(Rank, "spawn step: MPI_Comm_spawn called");
                inter = Mpi.Self.Spawn(command, arguments, 1, info, 0, out _);
            }
            ProtocolTrace.Write(Rank, "spawn step: MPI_Comm_spawn returned");
        }
        catch (Exception e) when (e is MpiException or ArgumentException)
        {
            RollBack(session, $"spawning the replacement on '{host}' failed: {e.Message}", spawnAttempted: true);
            return null;
        }
        Mark("spawned");
        return inter;
    }

    /// <summary>Waits for restore_complete (the port to connect to), a failure, the replacement's death (when local) or the restore limit.</summary>
    private (string? Port, string Failure, int ReplacementPid) AwaitRestoreComplete(Communicator inter, string host)
    {
        int replacementPid = 0;
        bool replacementIsLocal = IsThisHost(host);
        long nextLivenessCheck = 0;
        var deadline = Deadline.After(ProtocolTimeouts.Restore, "the replacement's restore_complete");
        while (true)
        {
            if (inter.Iprobe(0, Mpi.AnyTag, out Status status))
            {
                byte[] text = new byte[status.GetCount<byte>()];
                inter.Recv<byte>(text, 0, status.Tag);
                switch (status.Tag)
                {
                    case ControlTag.Restored:
                        return (Encoding.UTF8.GetString(text), "", replacementPid);
                    case ControlTag.Hello:
                        replacementPid = int.Parse(Encoding.UTF8.GetString(text), System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    default:
                        return (null, "the replacement could not restore the state: " + Encoding.UTF8.GetString(text), replacementPid);
                }
            }
            else if (deadline.Expired)
            {
                return (null, deadline.Describe(), replacementPid);
            }
            else if (replacementIsLocal && replacementPid > 0 && Stopwatch.GetTimestamp() > nextLivenessCheck)
            {
                nextLivenessCheck = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
                if (!IsAlive(replacementPid))
                {
                    return (null, $"the replacement (process {replacementPid}) died before restore_complete", replacementPid);
                }
            }
            else
            {
                Thread.Sleep(0);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// After a rollback the replacement must leave by itself (exit 0, so mpiexec does not end
    /// the job): it is told so (ABANDON); a local one that was stopped is continued so it can
    /// read it. The parent intercommunicator is freed, not disconnected (that would wait for it).
    /// </summary>
    private static unsafe void AbandonReplacement(Communicator inter, int replacementPid, string host)
    {
        bool local = IsThisHost(host);
        if (local && replacementPid > 0 && !IsAlive(replacementPid))
        {
            inter.Dispose(); // a dead replacement cannot be told (a send to it can hang in the TCP component's connect)
            return;
        }
        if (local && replacementPid > 0)
        {
            _ = SendSignal(replacementPid, 18); // SIGCONT: a stopped replacement can then read ABANDON
        }
        // Started, and given a moment, but never waited for without limit: the peer may be gone.
        RequestHandle send;
        fixed (long* word = AbandonWord)
        {
            send = RequestHandle.StartSend(inter, word, 1, 0, ControlTag.Abandon);
        }
        var deadline = Deadline.After(TimeSpan.FromSeconds(2), "ABANDON reaching the replacement");
        while (!send.Test(out _) && !deadline.Expired)
        {
            Thread.Yield();
        }
        inter.Dispose();
    }

    /// <summary>ABANDON's word, pinned for good: the send may outlive the call that starts it.</summary>
    private static readonly long[] AbandonWord = NewAbandonWord();

    private static long[] NewAbandonWord()
    {
        long[] word = GC.AllocateArray<long>(1, pinned: true);
        word[0] = 1;
        return word;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>
    /// Commit point for the group: DECISION(commit) to all, then the old group's window is freed
    /// and Pj leaves the connecting communicator (both collective with the others; with a pool
    /// there is no connecting communicator to leave); after Pn's JOINED, Pj writes the commit,
    /// sends COMMIT and exits without MPI_Finalize. From here on a rollback is impossible, so
    /// every step has the commit limit and a lost participant ends the job.
    /// <paramref name="rebuild"/> is Pn's port, or the pool rebuild ("pool:ID:members", SparePools.cs).
    /// </summary>
    private void CommitAndLeave(SynchronizationSession session, Communicator inter, string rebuild, SpareInfo? replenish)
    {
        // The text: the port (or pool), then the spares the leader knows to be unavailable (taken
        // or dead), then the spare this process replaces after its commit (SpareReplenishment.cs).
        string replenished = replenish is null ? "" : "\n" + replenish.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        control.SendToAllBut(new GroupDecision(session.Id, DecisionKind.Commit, rebuild + "\n" + UnavailableSpares(replenish) + replenished), Rank);
        ProtocolTrace.Write(Rank, "DECISION(commit) sent");
        long bindDeadline = ReplenishBindDeadline();
        FaultInjection.At("decided", Rank);
        // With a prepared group nobody frees the old window or splits the old group: the group
        // switches to communicators made at start (PreparedGroups.cs), and this process takes no part.
        if (!rebuild.StartsWith(PreparedDecisionPrefix, StringComparison.Ordinal))
        {
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => EndJob(-1, "freeing the old group's window and leaving it after the commit did not finish in time")))
            {
                window.Dispose();
                ProtocolTrace.Write(Rank, "commit step: old window freed");
                if (!rebuild.StartsWith(PoolDecisionPrefix, StringComparison.Ordinal))
                {
                    using Communicator? withoutMe = app.Split(-1, Rank);
                }
                ProtocolTrace.Write(Rank, "commit step: split without me");
            }
        }
        // A step longer than the staying ranks' connect (or create_group), whose commit limit
        // started before this one: when Pn stops answering they notice first and name the
        // replacement; Pj's own limit is the backstop (docs/PROTOCOL.md, "Deadlines").
        var deadline = Deadline.After(ProtocolTimeouts.Commit + ProtocolTimeouts.Step, "the replacement's JOINED");
        Span<long> word = [0];
        while (!inter.Iprobe(0, ControlTag.Joined, out _))
        {
            if (deadline.Expired)
            {
                EndJob(Rank, $"the replacement of rank {Rank} did not join the new group: " + deadline.Describe());
            }
            Thread.Yield();
        }
        inter.Recv<long>(word, 0, ControlTag.Joined);
        ProtocolTrace.Write(Rank, "commit step: JOINED received");
        // The old process's part of the commit is its journal event; the outcome file, with the
        // whole timeline, is the replacement's (it knows when the rank resumed).
        job?.AppendEvent("migration_commit", Rank, session.Id, session.Request?.Id, null);
        Span<long> commit = [1];
        bool free = takenOverPool && FreePoolIntercommunicator;
        if (!free)
        {
            inter.Send<long>(commit, 0, ControlTag.Commit);
        }
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => ExitProcess(0)))
        {
            if (free)
            {
                // Made over the pool: freed on both sides, no disconnect (Steps/Spares.cs). The
                // synchronous send returns once the replacement has COMMIT: only then may this process leave.
                inter.Ssend<long>(commit, 0, ControlTag.Commit);
                AwaitCommitEcho(inter);
                inter.Dispose();
            }
            else
            {
                inter.Disconnect();
            }
        }
        RecordPhaseSpan("committed");
        EndMigrationSpan(MigrationOutcome.Committed, "");
        if (replenish is not null)
        {
            // Off the critical path: the group has resumed on Cnew without this process.
            ReplenishSpare(replenish, bindDeadline, session);
        }
        Console.Out.Flush();
        Console.Error.Flush();
        // Leave without MPI_Finalize: it would wait for every rank of the job.
        ExitProcess(0);
    }

    /// <summary>The command line that starts this same program as the replacement.</summary>
    private static (string Command, string[] Arguments) ReplacementCommand()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's executable");
        string[] args = Environment.GetCommandLineArgs();
        // Under "dotnet app.dll", argument 0 is the assembly; with an apphost it is the executable.
        bool hosted = Path.GetFileNameWithoutExtension(process) == "dotnet";
        return hosted ? (process, args) : (process, args[1..]);
    }

    /// <summary>The phases so far, for the replacement's header (a loop: no LINQ instantiation to compile while frozen).</summary>
    private List<PhaseTime> TimelineForHeader()
    {
        var phases = new List<PhaseTime>(timeline.Count);
        foreach ((string phase, double seconds) in timeline)
        {
            phases.Add(new PhaseTime(phase, seconds));
        }
        return phases;
    }

    /// <summary>
    /// Names for the process about to be spawned what this one chose at MPI_Init (<see cref="Mpi.SpawnEnvironment"/>:
    /// 220 ms less of MPI_Init with Open MPI here); a <paramref name="replacement"/> (not a spare) is
    /// also told so (MITTEN_SPAWNED_REPLACEMENT=1), so it compiles its state receive while its
    /// MPI_Init waits (<see cref="ProtocolWarmup.StartBeforeInitOnSpawnedReplacement"/>).
    /// </summary>
    internal static void SetSpawnEnvironment(Info info, bool replacement = false)
    {
        IReadOnlyList<string> settings = Mpi.SpawnEnvironment;
        if (replacement)
        {
            settings = [.. settings, ProtocolWarmup.SpawnedReplacementVariable + "=1"];
        }
        if (settings.Count > 0)
        {
            info.Set("env", string.Join('\n', settings));
        }
    }
}
