using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// Warm spares, the group's side (docs/PROTOCOL.md, "Warm spares"): at start the group spawns
/// MITTEN_SPARES processes of the same program (on MITTEN_SPARE_HOSTS), which warm up and
/// report their doorbell and MPI port; every member keeps the table. A migration to a host
/// with a free spare takes it (doorbell TAKE, then MPI_Comm_connect from the moving rank
/// alone) instead of spawning; the rest of the migration is unchanged. At the end rank 0 tells
/// the unused spares to leave.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Every spare the group started (taken, dead or free), known to every member.</summary>
    internal List<SpareInfo> Spares { get; private set; } = [];

    /// <summary>
    /// Whether this group started spares. They were spawned by (so connected to) every original
    /// rank, and MPI_Finalize is collective over connected processes, so, as after a spawn,
    /// MPI_Finalize is skipped (the job runs with orte_allowed_exit_without_sync=1).
    /// </summary>
    internal bool SparesStarted { get; private set; }

    /// <summary>The start-up spawns' intercommunicators, kept (never used again, never freed) while the job runs.</summary>
    private readonly List<Communicator> spareSpawns = [];

    /// <summary>MITTEN_SPARES: how many spares to start with the job (0 when unset or invalid).</summary>
    internal static int RequestedSpares =>
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_SPARES"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? Math.Min(n, 64) : 0;

    /// <summary>
    /// Starts the spares (collective over the group, at start, before the application's work):
    /// spare i goes to MITTEN_SPARE_HOSTS[i mod count], or by default to the ranks' hosts in turn.
    /// A host outside the job's hosts is skipped with a warning (a failed spawn would leave
    /// mpiexec waiting at the end); a spawn that fails, or a spare that does not report ready
    /// within the restore limit, leaves the job with fewer spares, never stops it.
    /// </summary>
    private void StartSpares(IReadOnlyList<string> rankHosts)
    {
        int count = RequestedSpares;
        if (count <= 0)
        {
            return;
        }
        string[] wanted = (Environment.GetEnvironmentVariable("MITTEN_SPARE_HOSTS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] pool = wanted.Length > 0 ? wanted : rankHosts.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var perHost = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string host = pool[i % pool.Length];
            if (!KnownHosts.Contains(host))
            {
                if (Rank == 0 && !perHost.ContainsKey(host))
                {
                    Console.Error.WriteLine($"mitten: rank 0: no spare on '{host}': it is not one of the job's hosts ({string.Join(", ", KnownHosts.Order())}); add it to MITTEN_HOSTS");
                }
                perHost.TryAdd(host, 0);
                continue;
            }
            if (!perHost.TryGetValue(host, out int n) || n == 0)
            {
                order.Add(host);
            }
            perHost[host] = perHost.GetValueOrDefault(host) + 1;
        }
        (string command, string[] arguments) = ReplacementCommand();
        var lines = new StringBuilder();
        foreach (string host in order)
        {
            Communicator inter;
            try
            {
                SparesStarted = true;
                using Info info = Info.Create();
                info.Set("host", host);
                info.Set("wdir", Directory.GetCurrentDirectory());
                SetSpawnEnvironment(info);
                using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(-1, $"spawning the spares on '{host}' did not return within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
                {
                    inter = app.Spawn(command, arguments, perHost[host], info, 0, out _);
                }
            }
            catch (Exception e) when (e is MpiException or ArgumentException)
            {
                if (Rank == 0)
                {
                    Console.Error.WriteLine($"mitten: rank 0: no spares on '{host}': spawning them failed: {e.Message}");
                }
                continue;
            }
            spareSpawns.Add(inter);
            var ready = new List<string>();
            if (Rank == 0)
            {
                // One limit for the whole spawn (its spares warm up side by side), so a spare
                // waiting for SPARE_POOL after its SPARE_READY never waits longer than its own limit.
                var deadline = Deadline.After(ProtocolTimeouts.Restore, $"the spares on '{host}' reporting ready");
                for (int s = 0; s < inter.RemoteSize; s++)
                {
                    ready.Add(WelcomeSpare(inter, s, deadline));
                }
            }
            // Off the critical path: the group and these spares become one intracommunicator (SparePools.cs).
            int poolId = JoinSparePool(inter, spareSpawns.Count - 1, ready, host);
            if (poolId >= 0)
            {
                PrepareGroupsOfPool(poolId, host); // Steps/PreparedGroups.cs: the commit to one of these spares needs no collective call
            }
            for (int s = 0; s < ready.Count; s++)
            {
                lines.Append(ready[s]);
                if (poolId >= 0 && ready[s].Length > 0)
                {
                    lines.Append(CultureInfo.InvariantCulture, $"\t{poolId}\t{Size + s}");
                }
                lines.Append('\n');
            }
        }
        // Every member learns the table from rank 0 (an empty line is a spare that cannot serve).
        byte[] table = Encoding.UTF8.GetBytes(lines.ToString());
        int length = app.Bcast(table.Length, 0);
        if (Rank != 0)
        {
            table = new byte[length];
        }
        app.Bcast<byte>(table, 0);
        int id = 0;
        foreach (string line in Encoding.UTF8.GetString(table).Split('\n').SkipLast(1))
        {
            if (SpareInfo.FromLine(id++, line) is { } spare)
            {
                Spares.Add(spare);
                KnownHosts.Add(spare.Host);
            }
        }
        // Each rank rings one spare's doorbell once now (PING), so the call's code is compiled
        // before a migration needs it: otherwise the first TAKE, while the group is frozen,
        // pays for it (30-45 ms measured). Answered PONG; a spare that does not answer is not marked.
        if (Spares.Count > 0)
        {
            _ = SpareDoorbell.Call(Spares[Rank % Spares.Count], SpareDoorbell.Ping, Mpi.ProcessorName, out _);
            WarmHeaderCode();
        }
    }

    /// <summary>
    /// Rank 0 with spawned process <paramref name="spare"/>: its hello, then SPARE_ROLE, then its
    /// SPARE_READY line once it is warm; an empty line when it does not answer within the limits
    /// (it is then left alone: it leaves by itself when it sees no role, or at the job's end).
    /// </summary>
    private static string WelcomeSpare(Communicator inter, int spare, Deadline deadline)
    {
        if (ReceiveText(inter, spare, ControlTag.Hello, deadline) is null)
        {
            return "";
        }
        Span<long> role = [1];
        inter.Send<long>(role, spare, ControlTag.SpareRole);
        string? ready = ReceiveText(inter, spare, ControlTag.SpareReady, deadline);
        return ready ?? "";
    }

    /// <summary>A text message from <paramref name="source"/> with <paramref name="tag"/>, or null (with one line on stderr) past the deadline.</summary>
    private static string? ReceiveText(Communicator communicator, int source, int tag, Deadline deadline)
    {
        Status found;
        while (!communicator.Iprobe(source, tag, out found))
        {
            if (deadline.Expired)
            {
                Console.Error.WriteLine($"mitten: rank 0: {deadline.Describe()}; going on without that spare");
                return null;
            }
            Thread.Sleep(1);
        }
        byte[] bytes = new byte[found.GetCount<byte>()];
        communicator.Recv<byte>(bytes, source, tag);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>
    /// The moving rank: takes a free spare on <paramref name="host"/> — doorbell TAKE, then,
    /// when this rank shares a pool with it, MPI_Intercomm_create over the pool (the two
    /// processes alone), otherwise MPI_Comm_connect to its port (this process alone) — and
    /// returns the intercommunicator to it, shaped like a spawn's (one remote process, rank 0).
    /// A spare that does not answer is marked unavailable and skipped; null when no spare could
    /// be taken (the caller spawns). Runs while the group is frozen, so every wait here is short
    /// and bounded: the doorbell call by <see cref="SpareDoorbell.CallLimit"/>, the connection
    /// (to a spare that has just said yes) by the restore limit, past which the job is ended as
    /// for a spawn that never returns.
    /// </summary>
    private Communicator? TakeSpare(string host, SynchronizationSession session, out SpareInfo? taken)
    {
        taken = null;
        takenOverPool = false;
        string self = Mpi.ProcessorName;
        string target = HostNamed(host);
        foreach (SpareInfo spare in SparesToTry(target))
        {
            spare.Unavailable = true; // taken now, or gone: it never waits on its doorbell again
            long start = Stopwatch.GetTimestamp();
            Communicator? pool = SharedPool(spare);
            // An intercommunicator to this spare made at start (PreparedGroups.cs): "P" tells the spare to use its side.
            Communicator? preparedInter = pool is null ? null : TakePreparedIntercommunicator(spare);
            string take = pool is null
                ? $"{SpareDoorbell.Take} {session.Id}"
                : string.Create(CultureInfo.InvariantCulture, $"{SpareDoorbell.Take} {session.Id} {spare.Pool} {pool.Rank}{(preparedInter is null ? "" : " P")}");
            string? answer = SpareDoorbell.Call(spare, take, self, out string failure, out bool silent, keepOnOk: true);
            if (answer is null || !(answer == "OK" || answer.StartsWith("OK ", StringComparison.Ordinal)))
            {
                // A slot being replenished that refuses or is BUSY is not ready yet: tried again next time.
                string why = answer is null ? failure : $"it answered '{answer}'";
                if (spare.Replenishing && (answer == SpareDoorbell.Busy || (answer is null && !silent && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < spare.ReplenishDeadlineUnixMs)))
                {
                    spare.Unavailable = false; // expected while the new spare starts: the trace only, not stderr
                    ProtocolTrace.Write(Rank, $"{spare} not ready yet (being replenished): {why}");
                    continue;
                }
                Console.Error.WriteLine($"mitten: rank {Rank}: {spare} skipped: {why}");
                continue;
            }
            answer = StateRing.SplitRingWord(answer, out string? ringWord); // "OK[ PID PORT] ring=FD:ADDRESS"
            if (answer.Split(' ', 3) is [_, var pid, var newPort])
            {
                // A replenished spare (SpareReplenishment.cs): a new process, in no pool, reached by its new port.
                spare.Pid = int.TryParse(pid, CultureInfo.InvariantCulture, out int p) ? p : 0;
                spare.MpiPort = newPort;
                spare.Pool = -1;
                spare.PoolRank = -1;
                pool = null;
                // This table kept the old spare's pool for the slot until now, so a prepared
                // intercommunicator to the old process may have been taken above (and "P" sent,
                // which the new process ignores with the pool words): it is not used.
                preparedInter = null;
            }
            spare.Replenishing = false;
            StateRing.NoteNamedRing(spare.Pid, ringWord);
            try
            {
                using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(Rank, $"connecting to {spare} did not return within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
                {
                    long called = Stopwatch.GetTimestamp();
                    Communicator inter = preparedInter ?? (pool is null
                        ? Mpi.Self.Connect(spare.MpiPort, 0)
                        : Mpi.Self.CreateIntercommunicator(0, pool, spare.PoolRank, ControlTag.PoolTake));
                    if (ProtocolTrace.Enabled)
                    {
                        ProtocolTrace.Write(Rank, string.Create(CultureInfo.InvariantCulture,
                            $"took {spare}: doorbell {Stopwatch.GetElapsedTime(start, called).TotalMilliseconds:F1} ms, {(preparedInter is not null ? "prepared intercomm" : pool is null ? "connect" : "intercomm over pool")} {Stopwatch.GetElapsedTime(called).TotalMilliseconds:F1} ms"));
                    }
                    taken = spare;
                    takenOverPool = pool is not null;
                    return inter;
                }
            }
            catch (MpiException e)
            {
                TcpStateConnection.Drop(); // its doorbell connection, kept for the state
                Console.Error.WriteLine($"mitten: rank {Rank}: {spare} skipped: connecting to it failed: {e.Message}");
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the intercommunicator to the last spare taken was made over a pool both already
    /// belong to (MPI_Intercomm_create, prepared or not), not by connect/accept: the two processes
    /// are connected through the pool anyway, so after COMMIT both free it (MPI_Comm_free, local)
    /// instead of MPI_Comm_disconnect, which waited for both sides and the runtime (0-34 ms on
    /// the replacement's critical path here); COMMIT goes by MPI_Ssend, and the replacement echoes
    /// it once resumed (<see cref="AwaitCommitEcho"/>). The spare knows the same from the TAKE's pool
    /// words (<see cref="parentMadeOverPool"/>). MITTEN_POOL_INTERCOMM_FREE=0: disconnect as before.
    /// </summary>
    private bool takenOverPool;

    /// <summary>See <see cref="takenOverPool"/>.</summary>
    internal static bool FreePoolIntercommunicator { get; } = Environment.GetEnvironmentVariable("MITTEN_POOL_INTERCOMM_FREE") != "0";

    /// <summary>
    /// Pj after COMMIT over a pool-made intercommunicator: waits (1 ms naps, not MPI's spinning
    /// receive, which would take a core from the resuming replacement) until the replacement echoes
    /// COMMIT after its resume, at most the commit limit; then its after-commit work (replenishing
    /// a spare) no longer competes with the resume. Past the limit it goes on all the same.
    /// </summary>
    private static void AwaitCommitEcho(Communicator inter)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Commit, "the replacement's echo of COMMIT");
        while (!inter.Iprobe(0, ControlTag.Commit, out _))
        {
            if (deadline.Expired)
            {
                return;
            }
            Thread.Sleep(1);
        }
        Span<long> echo = [0];
        inter.Recv<long>(echo, 0, ControlTag.Commit);
        ProtocolTrace.Write(-1, "commit step: the replacement echoed COMMIT (resumed)");
    }

    /// <summary>
    /// The spares on <paramref name="target"/> not known unavailable, in the order <see cref="TakeSpare"/>
    /// tries them: spares known to be warm first, then slots being replenished (SpareReplenishment.cs).
    /// Lazy: a spare marked unavailable while the caller iterates is skipped from then on.
    /// </summary>
    private IEnumerable<SpareInfo> SparesToTry(string target) =>
        Spares.Where(s => !s.Replenishing).Concat(Spares.Where(s => s.Replenishing))
            .Where(s => !s.Unavailable && string.Equals(s.Host, target, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The leader of a migration to this host, at its stop at the global superstep: starts opening the state ring of the
    /// spare <see cref="TakeSpare"/> will try first (StateRing.Preopen.cs; local, read-only, claimed
    /// only after the take). Not with the early state, which takes the spare itself at initiation.
    /// </summary>
    private void PreopenSpareRing(SynchronizationSession session)
    {
        if (!StateRing.PreopenEnabled || EarlyStateEnabled || session.Mode != SyncMode.Migration || session.TargetHost is not { } host || !IsThisHost(host) ||
            !KnownHosts.Contains(host) || !StateTransfer.UseSharedMemory(sameHost: true))
        {
            return;
        }
        SpareInfo? first = SparesToTry(HostNamed(host)).FirstOrDefault();
        if (first is { Replenishing: false, Pid: > 0 })
        {
            StateRing.PreopenInBackground(first.Pid);
        }
    }

    /// <summary>The spares the leader knows are unavailable, for DECISION(commit): "id,id,...".</summary>
    private string UnavailableSpares(SpareInfo? replenished = null) =>
        string.Join(',', Spares.Where(s => s.Unavailable && s != replenished).Select(s => s.Id.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A joining rank marks the spares the leader named in DECISION(commit) as unavailable.</summary>
    private void MarkUnavailable(string ids)
    {
        foreach (string id in ids.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(id, CultureInfo.InvariantCulture, out int n) && Spares.FirstOrDefault(s => s.Id == n) is { } spare)
            {
                spare.Unavailable = true;
            }
        }
    }

    /// <summary>
    /// At the end of the job (after the closing barrier), rank 0 tells every spare it does not
    /// know to be unavailable to leave (EXIT); one that cannot be reached is already gone.
    /// Bounded by the doorbell limit per spare.
    /// </summary>
    private void ReleaseSpares()
    {
        if (Rank != 0)
        {
            return;
        }
        string self = Mpi.ProcessorName;
        foreach (SpareInfo spare in Spares.Where(s => !s.Unavailable || s.Replenishing))
        {
            spare.Unavailable = true;
            // A slot being replenished may not have opened its doorbell yet: asked again every
            // 100 ms until its deadline (its new spare leaves by itself if it misses it).
            while (SpareDoorbell.Call(spare, SpareDoorbell.Exit, self, out _, out bool silent) != "BYE" && spare.Replenishing && !silent &&
                   DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < spare.ReplenishDeadlineUnixMs)
            {
                Thread.Sleep(100);
            }
        }
    }
}
