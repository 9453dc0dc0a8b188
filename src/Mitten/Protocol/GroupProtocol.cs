using System.Diagnostics;
using Mitten.Checkpoint.Communication;
using Mitten.Control;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// One process's side of the MPI-Mitten protocols (patent 002): superstep tracking at
/// migration points, the distributed migration protocol, collective and point-to-point
/// synchronization, the drain into the received-message-list, and the group rebuild.
/// See docs/PROTOCOL.md for every message and the correctness argument. The partial files
/// beside this one hold the synchronization, drain, rebuild and point-to-point parts.
/// </summary>
internal sealed partial class GroupProtocol : IDisposable
{
    private Communicator app;
    private Communicator control;
    private SuperstepWindow window;
    private readonly Func<byte[]> captureApplicationState;
    private readonly JobDirectory? job;
    private readonly long[] message = new long[8];

    /// <summary>Messages drained off the network that the application has not received yet.</summary>
    internal ReceivedMessageList Received { get; private set; }

    internal int Rank { get; private set; }
    internal int Size { get; private set; }

    /// <summary>Migration points passed (the superstep of this process).</summary>
    internal long Superstep { get; private set; }

    /// <summary>Collective operations completed on the group.</summary>
    internal long Collectives;

    internal List<MigrationReport> History { get; } = [];

    /// <summary>
    /// Whether this group was rebuilt by a migration (every member knows, since all take
    /// part in every rebuild). Then MPI_Finalize must be skipped: Open MPI 4.1's finalize
    /// fences over every process of the job, and the migrated ones left without finalizing.
    /// </summary>
    internal bool GroupRebuilt { get; private set; }

    /// <summary>
    /// Whether a migration of this group rolled back after its spawn was attempted. Open MPI
    /// 4.1's MPI_Finalize then hangs (seen with a failed spawn), so, like after a rebuild,
    /// every member (all learn the rollback from Pj's decision) leaves without finalizing.
    /// </summary>
    internal bool SpawnAttempted { get; private set; }

    private readonly Queue<MigrationRequest> requests = new();
    private volatile int signalRaised;
    private long nextRequestPoll;
    private long nextStatusWrite;
    private bool finishing;
    private bool resumeAtMigrationPoint;

    internal Communicator Application => app;

    private GroupProtocol(Communicator app, Communicator control, SuperstepWindow window, ReceivedMessageList received,
        long superstep, long collectives, Func<byte[]> captureApplicationState, JobDirectory? job)
    {
        this.app = app;
        this.control = control;
        this.window = window;
        Received = received;
        Rank = app.Rank;
        Size = app.Size;
        Superstep = superstep;
        Collectives = collectives;
        this.captureApplicationState = captureApplicationState;
        this.job = job;
    }

    /// <summary>Starts the protocol on an original rank of the job (collective over <paramref name="world"/>).</summary>
    internal static GroupProtocol StartOriginal(Communicator world, Func<byte[]> captureApplicationState, JobDirectory? job)
    {
        ProtocolWarmup.Start();
        Communicator app = world.Dup();
        Communicator control = app.Dup();
        var window = new SuperstepWindow(app, 0, sharedMemory: true);
        var protocol = new GroupProtocol(app, control, window, new ReceivedMessageList(), 0, 0, captureApplicationState, job);
        IReadOnlyList<string> rankHosts = GatherHostNames(app);
        protocol.KnownHosts.UnionWith(rankHosts);
        protocol.KnownHosts.UnionWith((Environment.GetEnvironmentVariable("MITTEN_HOSTS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (job is not null)
        {
            int[] pids = new int[protocol.Size];
            app.Allgather(Environment.ProcessId, pids);
            if (protocol.Rank == 0)
            {
                job.WriteLocations(rankHosts.Zip(pids).ToList());
            }
        }
        protocol.WriteStatus("running");
        return protocol;
    }

    /// <summary>
    /// Hosts a rank may move to: where the job's ranks run, "localhost", and the hosts a
    /// launcher lists in MITTEN_HOSTS (comma-separated, e.g. from a host file). A failed
    /// MPI_Comm_spawn leaves Open MPI 4.1's mpiexec waiting for ever at the end of the job,
    /// so a move to any other host is rolled back before spawning.
    /// </summary>
    internal HashSet<string> KnownHosts { get; } = new(StringComparer.OrdinalIgnoreCase) { "localhost" };

    /// <summary>Every rank's host name, in rank order (collective).</summary>
    private static IReadOnlyList<string> GatherHostNames(Communicator group)
    {
        const int HostBytes = 256;
        byte[] mine = new byte[HostBytes];
        string name = Mpi.ProcessorName;
        System.Text.Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, HostBytes - 1)), mine);
        byte[] all = new byte[HostBytes * group.Size];
        group.Allgather<byte>(mine, all);
        var hosts = new List<string>();
        for (int r = 0; r < group.Size; r++)
        {
            var bytes = all.AsSpan(r * HostBytes, HostBytes);
            int end = bytes.IndexOf((byte)0);
            hosts.Add(System.Text.Encoding.UTF8.GetString(bytes[..(end < 0 ? HostBytes : end)]));
        }
        return hosts;
    }

    /// <summary>Called by the application where its state is consistent (the top of its main loop).</summary>
    internal void MigrationPoint()
    {
        if (resumeAtMigrationPoint)
        {
            // A replacement's first migration point is the one its predecessor stopped at.
            resumeAtMigrationPoint = false;
            AdvanceAfterStop();
            return;
        }
        PollRequests();
        if (!inSync)
        {
            if (requests.Count > 0 && !finishing)
            {
                TryInitiate();
            }
            if (!inSync)
            {
                if (window.TryAdvance(Superstep))
                {
                    if (ProtocolTrace.Enabled)
                    {
                        ProtocolTrace.Write(Rank, $"mp {Superstep + 1} collectives {Collectives}");
                    }
                    Superstep++;
                    MaybeWriteStatus();
                    return;
                }
                EnterSynchronization();
            }
        }
        // In the synchronization phase: keep running until the global superstep.
        if (Superstep < globalSuperstep)
        {
            Superstep++;
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"mp {Superstep} in sync (global {globalSuperstep}) collectives {Collectives}");
            }
            return;
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"stop at superstep {Superstep} collectives {Collectives}");
        }
        StopAtGlobalSuperstep();
        AdvanceAfterStop();
    }

    private void AdvanceAfterStop()
    {
        Superstep++;
        window.Reset(Superstep);
        MaybeWriteStatus();
    }

    /// <summary>Queues a migration of <paramref name="rank"/> (this process or another) to <paramref name="host"/>.</summary>
    internal string RequestMigration(int rank, string? host, string? requestId)
    {
        if (rank < 0 || rank >= Size)
        {
            throw new MigrationRequestException($"rank {rank} does not exist (the group has ranks 0..{Size - 1})");
        }
        if (host is not null && !JobDirectory.IsValidHostName(host))
        {
            throw new MigrationRequestException($"'{host}' is not a valid host name");
        }
        if (finishing)
        {
            throw new MigrationRequestException("the job is finishing; no migration can start");
        }
        var request = new MigrationRequest(requestId ?? NewRequestId(), rank, host, Stopwatch.GetTimestamp());
        if (rank == Rank)
        {
            requests.Enqueue(request);
            return request.Id;
        }
        byte[] hostBytes = System.Text.Encoding.UTF8.GetBytes((host ?? "") + "\n" + request.Id);
        Span<long> header = [rank, hostBytes.Length, 0, 0, 0, 0, 0, 0];
        control.Send<long>(header, rank, ControlTag.Request);
        control.Send<byte>(hostBytes, rank, ControlTag.Request + ControlTag.Payload);
        return request.Id;
    }

    /// <summary>Queues a coordinated checkpoint into <paramref name="directory"/> (on rank 0, which leads it).</summary>
    internal void RequestCheckpoint(string directory, string? requestId)
    {
        if (Rank != 0)
        {
            throw new MigrationRequestException("a checkpoint is led by rank 0: request it there (or with `mitten checkpoint`)");
        }
        if (finishing)
        {
            throw new MigrationRequestException("the job is finishing; no checkpoint can start");
        }
        requests.Enqueue(new MigrationRequest(requestId ?? NewRequestId(), 0, null, Stopwatch.GetTimestamp(), Path.GetFullPath(directory)));
    }

    /// <summary>Replaces the communication state with one restored from a checkpoint (restart).</summary>
    internal void RestoreCommunicationState(byte[] serialized) => Received = ReceivedMessageList.Deserialize(serialized);

    /// <summary>Raised from the signal handler: look for a request file at the next migration point.</summary>
    internal void SignalRaised() => signalRaised = 1;

    private void PollRequests()
    {
        // Requests other ranks sent through the API.
        while (control.Iprobe(Mpi.AnySource, ControlTag.Request, out Status status))
        {
            control.Recv<long>(message, status.Source, ControlTag.Request);
            HandleControlMessage(status, out _, out _, out _); // queues the request
        }
        if (job is null)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        if (signalRaised == 0 && now < nextRequestPoll)
        {
            return;
        }
        signalRaised = 0;
        nextRequestPoll = now + Stopwatch.Frequency / 5;
        foreach (MigrationRequest request in job.ClaimRequests(Rank, Size))
        {
            if (request.Rank == Rank)
            {
                requests.Enqueue(request);
            }
        }
    }

    private void MaybeWriteStatus()
    {
        if (job is not null && Stopwatch.GetTimestamp() >= nextStatusWrite)
        {
            WriteStatus(inSync ? "synchronizing" : "running");
        }
    }

    private void WriteStatus(string state)
    {
        if (job is null)
        {
            return;
        }
        nextStatusWrite = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        job.WriteRankStatus(Rank, Superstep, state);
    }

    private static string NewRequestId() => "api-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Ends the protocol (collective over the group): a final migration point, then a
    /// barrier that still answers a migration that started meanwhile (it is refused).
    /// </summary>
    internal void Finish()
    {
        MigrationPoint();
        finishing = true;
        foreach (MigrationRequest request in requests)
        {
            Console.Error.WriteLine($"mitten: rank {Rank}: request {request.Id} not started: the job finished before this rank's next migration point");
            job?.AppendEvent("rejected", Rank, 0, request.Id, null);
            job?.WriteOutcome(request.Id, Rank, MigrationOutcome.Rejected, "the job finished before the migration could start", null);
        }
        requests.Clear();
        Request barrier = app.Ibarrier();
        while (!barrier.Test(out _))
        {
            if (window.SyncFlagSeen && !inSync)
            {
                EnterSynchronization();
                AnswerWhileFinishing();
            }
        }
        WriteStatus("finished");
    }

    public void Dispose()
    {
        window.Dispose();
        control.Dispose();
        app.Dispose();
    }
}

/// <summary>
/// A request to migrate a rank, or (with <see cref="CheckpointDirectory"/>) to take a coordinated
/// checkpoint of the group, from the API, another rank, or the control directory.
/// </summary>
internal sealed record MigrationRequest(string Id, int Rank, string? Host, long SeenTimestamp, string? CheckpointDirectory = null);
