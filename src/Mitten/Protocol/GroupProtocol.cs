using System.Diagnostics;
using Mitten.Checkpoint.Communication;
using Mitten.Control;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// One process's side of the MPI-Mitten protocols (patent 002): superstep tracking at
/// migration points, the distributed migration protocol, collective and point-to-point
/// synchronization, the drain into the received-message-list, the group rebuild and the
/// coordinated checkpoint. Each step of docs/PROTOCOL.md is one file under <c>Steps/</c>:
/// Initiation, CollectiveSynchronization, PointToPointSynchronization, Drain, MovingRank,
/// Replacement, JoiningRanks, Resolution (commit, rollback, resume) and CoordinatedCheckpoint.
/// This file holds the process's state, the migration point and the end of the job.
/// </summary>
internal sealed partial class GroupProtocol : IDisposable
{
    /// <summary>The group's own channel (the session's communicator); derived ones are in DerivedCommunicators.cs.</summary>
    internal Channel World { get; }

    /// <summary>The group's MPI communicator (the world channel's).</summary>
    private Communicator app
    {
        get => World.Communicator;
        set => World.Communicator = value;
    }

    private ControlChannel control;
    private SuperstepWindow window;
    private readonly Action<Stream> captureApplicationState;
    private readonly JobDirectory? job;

    /// <summary>Messages drained off the group's channel that the application has not received yet.</summary>
    internal ReceivedMessageList Received
    {
        get => World.Received;
        private set => World.Received = value;
    }

    internal int Rank { get; private set; }
    internal int Size { get; private set; }

    /// <summary>Migration points passed (the superstep of this process).</summary>
    internal long Superstep { get; private set; }

    /// <summary>Collective operations completed on the group (its channel's count).</summary>
    internal long Collectives
    {
        get => World.Collectives;
        set => World.Collectives = value;
    }

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
    /// every member (all learn the rollback from the leader's decision) leaves without finalizing.
    /// </summary>
    internal bool SpawnAttempted { get; private set; }

    /// <summary>The synchronization in progress, or null while the process runs normally.</summary>
    private SynchronizationSession? sync;
    private bool finishing;
    private bool resumeAtMigrationPoint;

    /// <summary>A replacement before its first migration point, where it must not communicate (its predecessor already did).</summary>
    internal bool AwaitingFirstMigrationPoint => resumeAtMigrationPoint;

    internal Communicator Application => app;

    private GroupProtocol(Communicator app, ControlChannel control, SuperstepWindow window, ReceivedMessageList received,
        long superstep, long collectives, Action<Stream> captureApplicationState, JobDirectory? job)
    {
        World = new Channel(0, null, app, "0");
        this.control = control;
        this.window = window;
        Received = received;
        Rank = app.Rank;
        Size = app.Size;
        Superstep = superstep;
        Collectives = collectives;
        this.captureApplicationState = captureApplicationState;
        this.job = job;
        interruptibleWaits = BlockingWaits.Install(Rank);
    }

    /// <summary>
    /// Whether a blocked receive waits in MPI_Wait with the progress hook, which the SYNC flag
    /// interrupts (<see cref="BlockingWaits"/>), instead of polling MPI_Test.
    /// </summary>
    private readonly bool interruptibleWaits;

    /// <summary>Starts the protocol on an original rank of the job (collective over <paramref name="world"/>).</summary>
    internal static GroupProtocol StartOriginal(Communicator world, Action<Stream> captureApplicationState, JobDirectory? job)
    {
        ProtocolWarmup.Start();
        Communicator app = world.Dup();
        var control = new ControlChannel(app.Dup());
        var window = new SuperstepWindow(app, 0, sharedMemory: true);
        var protocol = new GroupProtocol(app, control, window, new ReceivedMessageList(), 0, 0, captureApplicationState, job);
        IReadOnlyList<string> rankHosts = GatherHostNames(app);
        protocol.KnownHosts.UnionWith(rankHosts);
        protocol.KnownHosts.UnionWith((Environment.GetEnvironmentVariable("MITTEN_HOSTS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        protocol.StartSpares(rankHosts);
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
        if (outstandingCollectives.Count != 0)
        {
            ThrowCollectivesOutstanding();
        }
        if (resumeAtMigrationPoint)
        {
            // A replacement's first migration point is the one its predecessor stopped at; the
            // window already holds the superstep after it (published when the group was rebuilt).
            resumeAtMigrationPoint = false;
            Superstep++;
            return;
        }
        PollRequests();
        if (sync is null)
        {
            if (requests.Count > 0 && !finishing)
            {
                TryInitiate();
            }
            if (sync is null)
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
        if (Superstep < sync!.GlobalSuperstep)
        {
            Superstep++;
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"mp {Superstep} in sync (global {sync.GlobalSuperstep}) collectives {Collectives}");
            }
            return;
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"stop at superstep {Superstep} collectives {Collectives}");
        }
        StopAtGlobalSuperstep();
        // Stopped at this migration point, the process continues past it: the window word was
        // already republished as Superstep + 1 (once, before the resume was acknowledged, or
        // when the new group's window was created), so only the local count moves here.
        Superstep++;
        MaybeWriteStatus();
    }

    /// <summary>
    /// What a migration point does when nothing migrates, once and without effect (for the
    /// warm-up before the application starts): the probe for forwarded requests (a probe
    /// consumes nothing) and a compare-and-swap whose comparison cannot succeed (a superstep
    /// word is never negative).
    /// </summary>
    internal void ExerciseIdleMigrationPoint()
    {
        control.Communicator.Iprobe(Mpi.AnySource, ControlTag.Request, out _);
        window.TryAdvance(-2);
    }

    private void MaybeWriteStatus()
    {
        if (job is not null && Stopwatch.GetTimestamp() >= nextStatusWrite)
        {
            WriteStatus(sync is null ? "running" : "synchronizing");
        }
    }

    private long nextStatusWrite;

    private void WriteStatus(string state)
    {
        if (job is null)
        {
            return;
        }
        nextStatusWrite = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        job.WriteRankStatus(Rank, Superstep, state);
    }

    /// <summary>
    /// Ends the protocol (collective over the group). No migration starts here: a request still
    /// queued, or arriving now, is refused ("the job is finishing"), because a replacement would
    /// resume the program after its last migration point and re-run its closing code alone. A
    /// synchronization another rank started meanwhile is answered with REPORT(Finishing), so it
    /// is aborted instead of waiting for this process. After the closing barrier the control
    /// channel is closed with markers, so a request sent to this process just before is refused
    /// too, never dropped.
    /// </summary>
    internal void Finish()
    {
        finishing = true;
        PollRequests();
        RefuseQueuedRequests("the job finished before the migration could start");
        if (sync is not null || window.SyncFlagSeen)
        {
            AnswerWhileFinishing();
        }
        Request barrier = app.Ibarrier();
        while (!barrier.Test(out _))
        {
            if (window.SyncFlagSeen && sync is null)
            {
                AnswerWhileFinishing();
            }
            else
            {
                Thread.Yield();
            }
        }
        CloseControlChannel(syncId: 0, Deadline.After(ProtocolTimeouts.Step, "the other ranks' closing control markers"));
        RefuseQueuedRequests("the job finished before the migration could start");
        ReleaseSpares();
        WriteStatus("finished");
    }

    public void Dispose()
    {
        FreeDerivedCommunicators();
        window.Dispose();
        control.Dispose();
        World.DisposeCommunicator();
    }
}

/// <summary>
/// A request to migrate a rank, or (with <see cref="CheckpointDirectory"/>) to take a coordinated
/// checkpoint of the group, from the API, another rank, or the control directory.
/// <see cref="Attempts"/> counts checkpoint attempts that found a rank blocked between migration points.
/// </summary>
internal sealed record MigrationRequest(string Id, int Rank, string? Host, long SeenTimestamp, string? CheckpointDirectory = null, int Attempts = 0);
