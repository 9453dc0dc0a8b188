using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Mitten.Checkpoint.Communication;
using Mitten.Control;
using Mitten.GroupComm;

namespace Mitten.Protocol;

internal sealed partial class GroupProtocol
{
    /// <summary>How long Pj waits for restore_complete (MITTEN_RESTORE_TIMEOUT_SECONDS, default 120).</summary>
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("MITTEN_RESTORE_TIMEOUT_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0 ? seconds : 120);
    private long freezeStartTicks;
    private readonly List<(string Phase, double Seconds)> timeline = [];

    /// <summary>
    /// After MIG_END: drain the channels, then Pj moves itself (spawn, transfer, commit) and
    /// the others wait for its decision and join the new group, or resume on a rollback.
    /// </summary>
    private void DrainAndRebuild()
    {
        RequestHandle none = default;
        DrainAndRebuild(ref none);
    }

    private void DrainAndRebuild(ref RequestHandle parkedSend)
    {
        long start = Stopwatch.GetTimestamp();
        Drain(ref parkedSend);
        protocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("drain", start);
        if (checkpointDirectory is not null)
        {
            WriteCheckpointAndResume(checkpointDirectory);
            return;
        }
        if (Rank == migratingRank)
        {
            MigrateThisProcess();
        }
        else
        {
            JoinNewGroupOrResume();
        }
    }

    /// <summary>
    /// Every process sends an end marker to every peer on the application communicator, then
    /// takes everything each peer sent before its marker into the received-message-list.
    /// MPI's non-overtaking rule (same sender, same communicator, a receive that matches both)
    /// guarantees nothing sent before the marker is still on the way afterwards.
    /// </summary>
    private unsafe void Drain(ref RequestHandle parkedSend)
    {
        // A posted wildcard-tag receive could take the markers; cancel every posted receive first.
        ParkOutstandingReceives();
        var markers = new RequestHandle[Size];
        for (int peer = 0; peer < Size; peer++)
        {
            if (peer != Rank)
            {
                markers[peer] = RequestHandle.StartSend<byte>(app, null, 0, peer, ControlTag.DrainMarker);
            }
        }
        for (int peer = 0; peer < Size; peer++)
        {
            if (peer == Rank || markerSeen[peer])
            {
                continue;
            }
            while (true)
            {
                Status status = app.Probe(peer, Mpi.AnyTag);
                byte[] payload = new byte[status.GetCount<byte>()];
                app.Recv<byte>(payload, peer, status.Tag);
                if (status.Tag == ControlTag.DrainMarker)
                {
                    break;
                }
                Received.Append(peer, status.Tag, payload);
            }
        }
        for (int peer = 0; peer < Size; peer++)
        {
            markers[peer].Wait();
        }
        parkedSend.Wait(); // its receiver drained it
        CompleteOutstandingSends();
    }

    /// <summary>
    /// A checkpoint at the global superstep: the group is stopped consistently and drained, so
    /// every rank's application state plus its received-message-list is a consistent global
    /// state (messages in transit are in the lists). Every rank writes it (collective), then all
    /// resume as after a rollback. The leader (rank 0) reports the outcome.
    /// </summary>
    private void WriteCheckpointAndResume(string directory)
    {
        string outcome = "written";
        string reason = "";
        long epoch = -1;
        try
        {
            if (!OperatingSystem.IsWindows() && !Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // owner only
            }
            var store = new Mitten.Checkpoint.Coordinated.CheckpointStore(directory, new Mitten.Checkpoint.State.StateTypeRegistry(), keep: 2);
            epoch = store.Write(app, captureApplicationState(), Received.Serialize());
        }
        catch (IOException e)
        {
            outcome = "failed";
            reason = e.Message;
            Console.Error.WriteLine($"mitten: rank {Rank}: checkpoint into {directory} failed: {e.Message}");
        }
        if (Rank == migratingRank && currentRequest is not null)
        {
            job?.WriteCheckpointOutcome(currentRequest.Id, outcome, epoch, directory, reason);
            job?.AppendEvent("checkpoint", Rank, syncId, currentRequest.Id, $"\"epoch\":{epoch},\"outcome\":\"{outcome}\"");
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"checkpoint epoch {epoch} {outcome} in {directory}");
            }
        }
        LastCheckpointEpoch = epoch;
        checkpointDirectory = null;
        EndSynchronization();
    }

    /// <summary>The epoch of the last checkpoint this process took part in (-1 when none or failed).</summary>
    internal long LastCheckpointEpoch { get; private set; } = -1;

    /// <summary>Pj: spawn the replacement, send it the state, and commit or roll back.</summary>
    private void MigrateThisProcess()
    {
        freezeStartTicks = Stopwatch.GetTimestamp();
        Mark("synchronized");
        job?.AppendEvent("synchronized", Rank, syncId, currentRequest?.Id, null);
        if (!KnownHosts.Contains(targetHost))
        {
            RollBack($"host '{targetHost}' is not one of the job's hosts ({string.Join(", ", KnownHosts.Order())}); " +
                     "add it to MITTEN_HOSTS if the MPI launcher can start processes there", spawnAttempted: false);
            return;
        }
        Communicator inter;
        try
        {
            using Info info = Info.Create();
            info.Set("host", targetHost);
            info.Set("wdir", Directory.GetCurrentDirectory());
            (string command, string[] arguments) = ReplacementCommand();
            inter = Mpi.Self.Spawn(command, arguments, 1, info, 0, out _);
        }
        catch (Exception e) when (e is MpiException or ArgumentException)
        {
            RollBack($"spawning the replacement on '{targetHost}' failed: {e.Message}");
            return;
        }
        Mark("spawned");
        job?.AppendEvent("spawned", Rank, syncId, currentRequest?.Id, null);

        byte[] applicationState = captureApplicationState();
        byte[] communicationState = Received.Serialize();
        var header = new ReplacementHeader
        {
            MigrationId = syncId,
            RequestId = currentRequest?.Id ?? "",
            Rank = Rank,
            Size = Size,
            Superstep = Superstep,
            Collectives = Collectives,
            FromHost = Mpi.ProcessorName,
            ToHost = targetHost,
            FromPid = Environment.ProcessId,
            SignalUnixMs = SignalUnixMs(),
            Timeline = timeline.Select(t => new PhaseTime(t.Phase, t.Seconds)).ToList(),
            ProtocolSeconds = (double)protocolTicks / Stopwatch.Frequency,
            FreezeStartUnixMs = UnixMsOf(freezeStartTicks),
            StateBytes = applicationState.Length + communicationState.Length,
            JobDirectory = job?.Path,
            KnownHosts = KnownHosts.ToList(),
            Fault = Environment.GetEnvironmentVariable("MITTEN_TEST_REPLACEMENT_FAULT"),
        };
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, ReplacementHeaderContext.Default.ReplacementHeader);
        inter.Send<byte>(headerBytes, 0, ControlTag.Header);
        inter.Send<byte>(communicationState, 0, ControlTag.CommunicationState);
        inter.Send<byte>(applicationState, 0, ControlTag.ApplicationState);
        Mark("state_sent");
        job?.AppendEvent("state_sent", Rank, syncId, currentRequest?.Id, $"\"bytes\":{header.StateBytes}");

        // Wait for restore_complete (with the port to connect to) or a failure, with a limit.
        string? port = null;
        string failure = "";
        int replacementPid = 0;
        bool replacementIsLocal = targetHost == Mpi.ProcessorName || targetHost == "localhost";
        long nextLivenessCheck = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(RestoreTimeout.TotalSeconds * Stopwatch.Frequency);
        while (port is null && failure.Length == 0)
        {
            if (inter.Iprobe(0, Mpi.AnyTag, out Status status))
            {
                byte[] text = new byte[status.GetCount<byte>()];
                inter.Recv<byte>(text, 0, status.Tag);
                if (status.Tag == ControlTag.Restored)
                {
                    port = Encoding.UTF8.GetString(text);
                }
                else if (status.Tag == ControlTag.Hello)
                {
                    replacementPid = int.Parse(Encoding.UTF8.GetString(text), System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    failure = "the replacement could not restore the state: " + Encoding.UTF8.GetString(text);
                }
            }
            else if (Stopwatch.GetTimestamp() > deadline)
            {
                failure = $"the replacement did not report restore_complete within {RestoreTimeout.TotalSeconds:F0} s";
            }
            else if (replacementIsLocal && replacementPid > 0 && Stopwatch.GetTimestamp() > nextLivenessCheck)
            {
                nextLivenessCheck = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
                if (!Directory.Exists($"/proc/{replacementPid}") || File.ReadAllText($"/proc/{replacementPid}/stat").Split(' ')[2] is "Z" or "X")
                {
                    failure = $"the replacement (process {replacementPid}) died before restore_complete";
                }
            }
            else
            {
                Thread.Sleep(0);
            }
        }
        if (port is null)
        {
            RollBack(failure);
            return;
        }
        Mark("restored");

        // Commit point reached for the group: every other process joins the new group.
        SendToOthers(ControlTag.Decision, 1, port);
        window.Dispose();
        using (Communicator? withoutMe = app.Split(-1, Rank))
        {
        }
        inter.Recv<long>(message.AsSpan(0, 1), 0, ControlTag.Joined);
        job?.AppendEvent("migration_commit", Rank, syncId, currentRequest?.Id, null);
        Span<long> commit = [1];
        inter.Send<long>(commit, 0, ControlTag.Commit);
        inter.Disconnect();
        Console.Out.Flush();
        Console.Error.Flush();
        // Leave without MPI_Finalize: it would wait for every rank of the job.
        ExitProcess(0);
    }

    private void RollBack(string reason, bool spawnAttempted = true)
    {
        SpawnAttempted |= spawnAttempted;
        Mark("rolled_back");
        RecordOutcome(MigrationOutcome.RolledBack, reason);
        SendToOthers(ControlTag.Decision, spawnAttempted ? 0 : 2, reason);
        EndSynchronization();
        Console.Error.WriteLine($"mitten: rank {Rank}: migration {syncId} rolled back: {reason}");
    }

    /// <summary>Every process but Pj: wait for the decision, then connect to the replacement and build Cnew.</summary>
    private void JoinNewGroupOrResume()
    {
        Status status = control.Recv<long>(message, migratingRank, ControlTag.Decision);
        byte[] text = new byte[message[2]];
        control.Recv<byte>(text, status.Source, ControlTag.Decision + ControlTag.Payload);
        if (message[1] != 1)
        {
            SpawnAttempted |= message[1] == 0; // a rollback after a spawn attempt: see SpawnAttempted
            EndSynchronization();
            return;
        }
        string port = Encoding.UTF8.GetString(text);
        window.Dispose();
        Communicator withoutMigrating = app.Split(0, Rank)!;
        Communicator toReplacement = withoutMigrating.Connect(port, 0);
        Communicator merged = toReplacement.Merge(high: false);
        Communicator next = merged.Split(0, Rank)!; // the replacement asks for key j
        merged.Dispose();
        toReplacement.Dispose();
        withoutMigrating.Dispose();
        InstallGroup(next);
    }

    /// <summary>Switches this process to <paramref name="next"/> (the new group Cnew) transparently.</summary>
    private void InstallGroup(Communicator next)
    {
        control.Dispose();
        app.Dispose();
        app = next;
        control = next.Dup();
        window = new SuperstepWindow(next, Superstep, sharedMemory: false);
        Rank = next.Rank;
        Size = next.Size;
        GroupRebuilt = true;
        inSync = false;
        migratingRank = -1;
        RepostParkedReceives();
        WriteStatus("running");
    }

    private void Mark(string phase)
    {
        timeline.Add((phase, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - SignalUnixMs()) / 1000.0));
    }

    private double SignalUnixMs() => currentRequest is null ? UnixMsOf(Stopwatch.GetTimestamp()) : UnixMsOf(currentRequest.SeenTimestamp);

    private static double UnixMsOf(long timestamp) =>
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (Stopwatch.GetTimestamp() - timestamp) * 1000.0 / Stopwatch.Frequency;

    private void RecordOutcome(MigrationOutcome outcome, string reason)
    {
        var report = new MigrationReport(syncId, migratingRank, outcome, reason, timeline.ToList(),
            (double)protocolTicks / Stopwatch.Frequency, Mpi.ProcessorName, targetHost, 0);
        History.Add(report);
        timeline.Clear();
        if (currentRequest is not null)
        {
            // The event first: whoever sees the outcome file (mitten migrate, the scheduler)
            // can then rely on the events file already holding the final phase.
            job?.AppendEvent(outcome == MigrationOutcome.Committed ? "migration_commit" : "rollback", Rank, syncId, currentRequest.Id, null);
            job?.WriteOutcome(currentRequest.Id, migratingRank, outcome, reason, report);
        }
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

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitProcessNative(int status);

    internal static void ExitProcess(int status) => ExitProcessNative(status);

    /// <summary>
    /// Pn (initialize() of patent 000): receive the communication and process state from Pj,
    /// restore, report restore_complete with a port, accept the group's connection, take rank
    /// j in Cnew, and resume after the commit.
    /// </summary>
    internal static GroupProtocol StartReplacement(Communicator parent, Action<byte[]> restoreApplicationState,
        Func<byte[]> captureApplicationState, Func<string?, JobDirectory?> openJob)
    {
        parent.Send<byte>(Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)), 0, ControlTag.Hello);
        Status status = parent.Probe(0, ControlTag.Header);
        byte[] headerBytes = new byte[status.GetCount<byte>()];
        parent.Recv<byte>(headerBytes, 0, ControlTag.Header);
        ReplacementHeader header = JsonSerializer.Deserialize(headerBytes, ReplacementHeaderContext.Default.ReplacementHeader)
            ?? throw new InvalidDataException("empty migration header");
        byte[] communicationState = ReceiveBytes(parent, ControlTag.CommunicationState);
        byte[] applicationState = ReceiveBytes(parent, ControlTag.ApplicationState);
        double stateArrivedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (header.Fault == "die-before-restore")
        {
            ExitProcess(3); // fault injection for the tests: the replacement dies before the commit
        }
        var received = new ReceivedMessageList();
        try
        {
            received.PrependAll(ReceivedMessageList.Deserialize(communicationState));
            restoreApplicationState(applicationState);
        }
        catch (Exception e)
        {
            parent.Send<byte>(Encoding.UTF8.GetBytes(e.Message), 0, ControlTag.RestoreFailed);
            parent.Disconnect();
            ExitProcess(4);
        }
        double restoredMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JobDirectory? job = openJob(header.JobDirectory);
        job?.AppendEvent("restore_complete", header.Rank, header.MigrationId, header.RequestId, null);

        string port = Communicator.OpenPort();
        parent.Send<byte>(Encoding.UTF8.GetBytes(port), 0, ControlTag.Restored);
        Communicator fromGroup = Mpi.Self.Accept(port, 0);
        Communicator merged = fromGroup.Merge(high: true);
        Communicator group = merged.Split(0, header.Rank)!;
        merged.Dispose();
        fromGroup.Dispose();
        Communicator.ClosePort(port);

        Communicator control = group.Dup();
        var window = new SuperstepWindow(group, header.Superstep, sharedMemory: false);
        Span<long> joined = [1];
        parent.Send<long>(joined, 0, ControlTag.Joined);
        parent.Recv<long>(joined, 0, ControlTag.Commit);
        parent.Disconnect();
        double committedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var protocol = new GroupProtocol(group, control, window, received, header.Superstep, header.Collectives, captureApplicationState, job)
        {
            resumeAtMigrationPoint = true,
            GroupRebuilt = true,
        };
        protocol.KnownHosts.UnionWith(header.KnownHosts);
        var phases = header.Timeline.Select(p => (p.Phase, p.Seconds)).ToList();
        phases.Add(("state_sent", (stateArrivedMs - header.SignalUnixMs) / 1000)); // all state has arrived
        phases.Add(("restored", (restoredMs - header.SignalUnixMs) / 1000));
        phases.Add(("committed", (committedMs - header.SignalUnixMs) / 1000));
        phases.Add(("resumed", (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - header.SignalUnixMs) / 1000));
        phases.Add(("freeze", (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - header.FreezeStartUnixMs) / 1000));
        var report = new MigrationReport(header.MigrationId, header.Rank, MigrationOutcome.Committed, "", phases,
            header.ProtocolSeconds, header.FromHost, Mpi.ProcessorName, header.StateBytes);
        protocol.History.Add(report);
        if (job is not null)
        {
            job.WriteOutcome(header.RequestId, header.Rank, MigrationOutcome.Committed, "", report, header.FromPid);
            // migration_commit is the old process's event; the replacement reports that it resumed.
            job.AppendEvent("resumed", header.Rank, header.MigrationId, header.RequestId, $"\"pid\":{Environment.ProcessId}");
            job.SetLocation(header.Rank, Mpi.ProcessorName, Environment.ProcessId);
        }
        protocol.WriteStatus("running");
        return protocol;
    }

    private static byte[] ReceiveBytes(Communicator from, int tag)
    {
        Status status = from.Probe(0, tag);
        byte[] bytes = new byte[status.GetCount<byte>()];
        from.Recv<byte>(bytes, 0, tag);
        return bytes;
    }
}
