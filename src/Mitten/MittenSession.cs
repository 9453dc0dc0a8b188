using System.Runtime.InteropServices;
using Mitten.Control;
using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// A migratable SPMD process. Start it instead of initializing MPI; use <see cref="Communicator"/>
/// in place of MPI_COMM_WORLD; call <see cref="MigrationPoint"/> where the registered
/// <see cref="State"/> is consistent (the top of the main loop). Any rank can then be moved
/// to another host while the others keep running: on the replacement, <see cref="Start(Func{TState}, IStateCodec{TState})"/>
/// returns the restored state and the program resumes at that migration point.
/// </summary>
/// <typeparam name="TState">The application's state root: everything that must survive a move.</typeparam>
public sealed class MittenSession<TState> : IDisposable where TState : class
{
    private readonly GroupProtocol protocol;
    private readonly PosixSignalRegistration? signal;
    private bool finished;

    /// <summary>The application's state (restored from the old process on a replacement).</summary>
    public TState State { get; private set; }

    /// <summary>The group's communicator; keeps working across migrations.</summary>
    public MittenCommunicator Communicator { get; }

    /// <summary>Whether this process is a replacement that took over a migrated rank.</summary>
    public bool IsReplacement { get; }

    /// <summary>This process's rank (unchanged by migrations).</summary>
    public int Rank => protocol.Rank;

    /// <summary>Number of ranks.</summary>
    public int Size => protocol.Size;

    /// <summary>Migrations this process took part in as the migrating rank or its replacement.</summary>
    public IReadOnlyList<MigrationReport> MigrationHistory => protocol.History;

    /// <summary>The protocol under this session (the test drivers' way in; not part of the API).</summary>
    internal GroupProtocol Protocol => protocol;

    private MittenSession(TState state, GroupProtocol protocol, bool isReplacement, SignalForwarder signals)
    {
        State = state;
        this.protocol = protocol;
        IsReplacement = isReplacement;
        Communicator = new MittenCommunicator(protocol);
        signal = signals.Registration;
        signals.Attach(protocol);
    }

    /// <summary>
    /// SIGUSR2: a request file waits in the control directory (docs/CONTROL.md). Registered
    /// first thing in <see cref="Start(Func{TState}, IStateCodec{TState})"/>, before the (possibly long) start of a replacement:
    /// for ranks on other hosts the runtime signals mpiexec, which forwards SIGUSR2 to every
    /// process of the job, and its default action would end a process that has no handler yet.
    /// A signal that arrives before the protocol exists is passed on once it does.
    /// </summary>
    private sealed class SignalForwarder
    {
        private GroupProtocol? target;
        private volatile bool pending;

        public SignalForwarder() =>
            Registration = PosixSignalRegistration.Create((PosixSignal)12, context =>
            {
                context.Cancel = true;
                if (Volatile.Read(ref target) is GroupProtocol protocol)
                {
                    protocol.SignalRaised();
                }
                else
                {
                    pending = true;
                }
            });

        public PosixSignalRegistration Registration { get; }

        public void Attach(GroupProtocol protocol)
        {
            Volatile.Write(ref target, protocol);
            if (pending)
            {
                protocol.SignalRaised();
            }
        }
    }

    /// <summary>
    /// Initializes MPI and the migration protocol (collective over the job). On an original
    /// rank <paramref name="createInitialState"/> makes the state; on a replacement the state
    /// arrives from the migrating process through <paramref name="codec"/>. Mitten's messages
    /// go to standard error (see the overload with <see cref="MittenOptions"/>).
    /// </summary>
    public static MittenSession<TState> Start(Func<TState> createInitialState, IStateCodec<TState> codec) =>
        Start(createInitialState, codec, null);

    /// <summary>
    /// Same as <see cref="Start(Func{TState}, IStateCodec{TState})"/>, with Mitten's messages sent
    /// to <see cref="MittenOptions.LoggerFactory"/> when it is set. A replacement runs this same
    /// call, so it logs where the process it replaces did. Spans need no option: they go to any
    /// <see cref="System.Diagnostics.ActivityListener"/> of <see cref="MittenDiagnostics.ActivitySourceName"/>
    /// registered before this call.
    /// </summary>
    public static MittenSession<TState> Start(Func<TState> createInitialState, IStateCodec<TState> codec, MittenOptions? options)
    {
        ArgumentNullException.ThrowIfNull(createInitialState);
        ArgumentNullException.ThrowIfNull(codec);
        long entered = System.Diagnostics.Stopwatch.GetTimestamp();
        MittenLog.Use(options?.LoggerFactory);
        var signals = new SignalForwarder();
        long initStart = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!Mpi.IsInitialized)
        {
            ProtocolWarmup.StartBeforeInitOnSpawnedReplacement(typeof(TState)); // a spawned replacement compiles its receive while MPI_Init waits
            Mpi.Init(ThreadLevel.Single); // signal handlers only set a flag; MPI is called from the main thread
        }
        ProtocolWarmup.NoteStartup(entered, initStart, System.Diagnostics.Stopwatch.GetTimestamp());
        TState? state = null;
        Action<Stream> capture = stream => codec.Save(state!, stream);
        GroupComm.Communicator? parent = GroupComm.Communicator.GetParent();
        if (parent is not null)
        {
            GroupProtocol replacement = GroupProtocol.StartReplacement(parent,
                stream =>
                {
                    ProtocolWarmup.AwaitBeforeInit(); // that compile and the restore do not share the processor
                    state = codec.Restore(stream);
                },
                capture,
                path =>
                {
                    if (path is not null)
                    {
                        Environment.SetEnvironmentVariable("MITTEN_JOB_DIR", path);
                    }
                    return JobDirectory.Open(path);
                },
                () => ProtocolWarmup.WarmCodec(codec));
            ProtocolWarmup.StartInBackground(codec); // after the restore, which it would otherwise slow down; the group is waiting
            return new MittenSession<TState>(state!, replacement, isReplacement: true, signals);
        }
        JobDirectory? job = JobDirectory.Open();
        GroupProtocol protocol = GroupProtocol.StartOriginal(Mpi.World, capture, job);
        string? restartDirectory = Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR");
        if (!string.IsNullOrEmpty(restartDirectory))
        {
            // Restart: every rank restores the newest complete checkpoint epoch (collective).
            var store = new Mitten.Checkpoint.Coordinated.CheckpointStore(restartDirectory, new Mitten.Checkpoint.State.StateTypeRegistry());
            using var fallbacks = new StringWriter();
            var restored = store.Restore<byte[]>(protocol.Application, fallbacks);
            foreach (string line in fallbacks.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                MittenLog.RestartFallback(MittenLog.Logger, line);
            }
            if (restored is null)
            {
                throw new InvalidOperationException($"MITTEN_RESTART_DIR={restartDirectory} holds no complete checkpoint");
            }
            state = codec.Restore(new MemoryStream(restored.State, writable: false));
            protocol.RestoreFromCheckpoint(restored.CommunicationState);
            MittenLog.Restarted(MittenLog.Logger, protocol.Rank, restored.Epoch, restartDirectory);
        }
        else
        {
            state = createInitialState();
        }
        // The protocol was compiled in StartOriginal; its fast path runs once here, before the application's work.
        ProtocolWarmup.ExerciseMigrationPoint(protocol, typeof(MittenSession<TState>), codec);
        return new MittenSession<TState>(state, protocol, isReplacement: false, signals);
    }

    /// <summary>
    /// Marks a point where <see cref="State"/> is consistent and no operation of this process
    /// is pending. Costs one atomic window update when nothing migrates; here a requested
    /// migration of this rank starts, and here every rank stops when the group synchronizes.
    /// </summary>
    public void MigrationPoint() => protocol.MigrationPoint();

    /// <summary>
    /// Asks for <paramref name="rank"/> (any rank, this one included) to move to
    /// <paramref name="host"/> (this host when null). The move happens at that rank's next
    /// migration point; requests are serialized, never interleaved.
    /// </summary>
    /// <returns>The request's id: its outcome (committed, rolled back or refused) is recorded under
    /// this id in the job's control directory (<c>migrations/ID.json</c>) and in <see cref="MigrationHistory"/>
    /// of the rank that moved.</returns>
    /// <exception cref="MigrationRequestException">The rank does not exist, the host name is malformed, or the job is finishing.</exception>
    public string RequestMigration(int rank, string? host = null) => protocol.RequestMigration(rank, host, null);

    /// <summary>
    /// Asks for a coordinated checkpoint into <paramref name="directory"/> (call on rank 0; the
    /// operator's way is <c>mitten checkpoint</c>). The group synchronizes at the global
    /// superstep as for a migration, drains the channels, and every rank writes its state and
    /// its received messages; a run started with MITTEN_RESTART_DIR set to the directory
    /// continues from the newest complete one.
    /// </summary>
    public void RequestCheckpoint(string directory) => protocol.RequestCheckpoint(directory, null);

    /// <summary>The epoch of the last checkpoint this process wrote, or -1.</summary>
    public long LastCheckpointEpoch => protocol.LastCheckpointEpoch;

    /// <summary>Ends the session (collective): a last migration point, a barrier, and MPI_Finalize.</summary>
    public void Finish()
    {
        if (finished)
        {
            return;
        }
        finished = true;
        protocol.Finish();
        signal?.Dispose();
        bool skipFinalize = protocol.GroupRebuilt || protocol.SpawnAttempted || protocol.SparesStarted;
        protocol.Dispose();
        if (skipFinalize)
        {
            // Every process of the group passed the closing barrier; leave the job the way the
            // migrated ranks did (see GroupProtocol.GroupRebuilt). The program's exit code stands.
            Console.Out.Flush();
            return;
        }
        Mpi.Finalize();
    }

    /// <summary>Same as <see cref="Finish"/>.</summary>
    public void Dispose() => Finish();
}
