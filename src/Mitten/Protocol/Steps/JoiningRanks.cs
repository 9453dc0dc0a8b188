using System.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Step 5, the joining ranks (every process but the moving one): wait for the leader's
/// DECISION; on a rollback resume in the old group, on a commit connect to the replacement's
/// port and install the new group Cnew, in which the replacement has the moving rank's number.
/// </summary>
internal sealed partial class GroupProtocol
{
    private GroupDecision? lastDecision;

    /// <summary>How long a rank polls for DECISION before it sleeps between polls (see <see cref="AwaitDecision"/>).</summary>
    private static readonly long DecisionSpinTicks =
        MillisecondsSetting("MITTEN_DECISION_SPIN_MS") is double ms ? (ms < 0 ? -1 : MillisecondsToTicks(ms)) : MillisecondsToTicks(1);

    /// <summary>
    /// How long a staying rank of a spawn waits after its drain before it sets its tiered-compilation
    /// worker to nice 19 (MITTEN_JIT_NICE_DELAY_MS, default 20; 0: at once, as before). Its /proc scan
    /// takes processor time, and right after this rank's drain the other ranks' drains, which the
    /// moving rank's drain waits for, still need the cores (IS S / 16 without a spare: the protocol part
    /// 12.4 -> 8.9 ms; bench/RESULTS.md, "proto18b"). The spawn it is for lasts ~200 ms; a DECISION
    /// that comes sooner (a rollback) ends the wait with nothing lowered.
    /// </summary>
    private static readonly long JitNiceDelayTicks =
        MillisecondsToTicks(MillisecondsSetting("MITTEN_JIT_NICE_DELAY_MS") is double delay && delay >= 0 ? delay : 20);

    /// <summary>The environment variable <paramref name="name"/> as milliseconds (a decimal number), or null when it is unset or not a number.</summary>
    private static double? MillisecondsSetting(string name) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double ms) ? ms : null;

    private static long MillisecondsToTicks(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    private void JoinNewGroupOrResume(SynchronizationSession session, long publishSuperstep)
    {
        // No free warm spare known: the moving rank spawns, and this wait lasts the spawn, the
        // transfer and the restore, with the tiered-compilation worker at nice 19 from
        // JitNiceDelayTicks on (JitWorkerPriority.cs). A spare's take is left as it was.
        bool lowerJitWorker = !Spares.Exists(s => !s.Unavailable);
        GroupDecision decision = AwaitDecision(session, lowerJitWorker);
        ProtocolTrace.Write(Rank, "DECISION received");
        if (decision.Kind != DecisionKind.Commit)
        {
            JitWorkerPriority.Restore();
            SpawnAttempted |= decision.Kind == DecisionKind.RolledBackAfterSpawn; // see SpawnAttempted
            ResumeAfterAbort(publishSuperstep);
            return;
        }
        // "port-or-pool \n unavailable-spares [\n replenished-spare]" (MovingRank.CommitAndLeave).
        string[] lines = decision.Text.Split('\n');
        string port = lines[0];
        MarkUnavailable(lines.Length > 1 ? lines[1] : "");
        if (lines.Length > 2 && int.TryParse(lines[2], System.Globalization.CultureInfo.InvariantCulture, out int replenished))
        {
            MarkReplenishing(replenished);
        }
        FaultInjection.At("decided", Rank);
        if (TryParsePreparedDecision(port, out int preparedPool, out int sparePoolRank))
        {
            InstallPreparedGroup(session, preparedPool, sparePoolRank); // local: PreparedGroups.cs
            return;
        }
        Communicator next;
        if (TryParsePoolDecision(port, out int poolId, out int[] members))
        {
            // The replacement is a spare of a pool holding the whole group (SparePools.cs).
            if (!sparePools.TryGetValue(poolId, out Communicator? pool))
            {
                EndJob(Rank, $"the new group is to be made from spare pool {poolId}, of which this process is not a member");
            }
            long start = Stopwatch.GetTimestamp(), freed;
            using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => EndJob(session.Leader,
                       $"making the new group with the replacement of rank {session.Leader} did not finish within {ProtocolTimeouts.Commit.TotalSeconds:0} s")))
            {
                window.Dispose();
                freed = Stopwatch.GetTimestamp();
                next = GroupFromPool(pool, members);
            }
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"new group from spare pool {poolId} in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F1} ms (old window freed {Stopwatch.GetElapsedTime(start, freed).TotalMilliseconds:F1}, MPI_Comm_create_group {Stopwatch.GetElapsedTime(freed).TotalMilliseconds:F1})"));
            }
            InstallGroup(next, publishSuperstep);
            return;
        }
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => EndJob(session.Leader,
                   $"connecting to the replacement of rank {session.Leader} did not finish within {ProtocolTimeouts.Commit.TotalSeconds:0} s")))
        {
            window.Dispose();
            ProtocolTrace.Write(Rank, "commit step: old window freed");
            using Communicator withoutMigrating = app.Split(0, Rank)!;
            ProtocolTrace.Write(Rank, "commit step: split without Pj");
            using Communicator toReplacement = withoutMigrating.Connect(port, 0);
            ProtocolTrace.Write(Rank, "commit step: connected");
            using Communicator merged = toReplacement.Merge(high: false);
            ProtocolTrace.Write(Rank, "commit step: merged");
            next = InTheGroupsOrder(merged, session.Leader); // the replacement takes rank j
            ProtocolTrace.Write(Rank, "commit step: new group in order (MPI_Comm_create)");
        }
        InstallGroup(next, publishSuperstep);
    }

    /// <summary>
    /// The leader spawns, transfers and waits for the restore before it decides, so the limit is
    /// the restore's plus two steps; past it the leader is lost (it can no longer decide) and the
    /// job is ended. This wait lasts the whole take (or spawn), transfer and restore, the work of
    /// Pj and Pn alone: a waiting rank that keeps polling takes the processor from them where
    /// ranks share cores (8 ranks and a spare on 2 cores here), so after
    /// <see cref="DecisionSpinTicks"/> it sleeps 1 ms between polls (MITTEN_DECISION_SPIN_MS,
    /// default 1; a negative value never sleeps).
    /// </summary>
    private GroupDecision AwaitDecision(SynchronizationSession session, bool lowerJitWorker)
    {
        // After a quiet drain (early markers, Steps/EarlyMarkers.cs) DECISION is a take and a transfer away: sleep at once.
        long sleepAfter = DecisionSpinTicks < 0 ? long.MaxValue
            : QuietAfterEarlyMarkers ? Stopwatch.GetTimestamp() : Stopwatch.GetTimestamp() + DecisionSpinTicks;
        long lowerAt = lowerJitWorker ? Stopwatch.GetTimestamp() + JitNiceDelayTicks : long.MaxValue;
        PollControlUntil(() =>
        {
            if (lastDecision?.SyncId == session.Id)
            {
                return true;
            }
            if (Stopwatch.GetTimestamp() >= lowerAt)
            {
                lowerAt = long.MaxValue;
                int lowered = JitWorkerPriority.Lower();
                if (ProtocolTrace.Enabled)
                {
                    ProtocolTrace.Write(Rank, $"tiered-compilation workers at nice 19 while waiting for DECISION: {lowered}");
                }
            }
            if (Stopwatch.GetTimestamp() > sleepAfter)
            {
                Thread.Sleep(1);
            }
            return false;
        },
            Deadline.After(ProtocolTimeouts.Restore + ProtocolTimeouts.Step + ProtocolTimeouts.Step, "the decision"),
            () => session.Leader, "DECISION");
        GroupDecision decision = lastDecision!;
        lastDecision = null;
        return decision;
    }

    /// <summary>
    /// The new group Cnew from <paramref name="merged"/> (the connect's intercommunicator merged:
    /// the staying ranks in their order, then the replacement), in the old group's order with the
    /// replacement at <paramref name="movedRank"/>: MPI_Comm_create with that order, computed
    /// here (every member computes the same), instead of MPI_Comm_split with the rank as key,
    /// whose allgather of colors and keys is one more round over all processes in the commit.
    /// </summary>
    internal static Communicator InTheGroupsOrder(Communicator merged, int movedRank)
    {
        int size = merged.Size;
        int[] order = new int[size];
        for (int rank = 0; rank < size; rank++)
        {
            order[rank] = rank < movedRank ? rank : rank == movedRank ? size - 1 : rank - 1;
        }
        using Group all = merged.Group;
        using Group ordered = all.Include(order);
        return merged.Create(ordered) ?? throw new InvalidOperationException("the new group does not include this process");
    }

    /// <summary>
    /// Switches this process to <paramref name="next"/> (the new group Cnew) transparently. The
    /// new window holds <paramref name="publishSuperstep"/> from its creation, so the word needs
    /// no republish afterwards (which could clear a later synchronization's flag).
    /// </summary>
    private void InstallGroup(Communicator next, long publishSuperstep)
    {
        RetirePreparedGroups(); // each has the moving rank in it: none fits the new group
        control.Dispose();
        World.DisposeCommunicator();
        app = next;
        long start = Stopwatch.GetTimestamp(), duplicated, windowMade;
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Commit, () => EndJob(-1, "creating the new group's control channel and window did not finish in time")))
        {
            control = new ControlChannel(next.Dup());
            duplicated = Stopwatch.GetTimestamp();
            window = new SuperstepWindow(next, publishSuperstep, sharedMemory: false);
            windowMade = Stopwatch.GetTimestamp();
            RebuildDerivedCommunicators(); // collective with the replacement's RestoreDerivedCommunicators
        }
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(next.Rank, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"new group installed: control channel (MPI_Comm_dup) {Stopwatch.GetElapsedTime(start, duplicated).TotalMilliseconds:F1} ms, window (MPI_Win_create) {Stopwatch.GetElapsedTime(duplicated, windowMade).TotalMilliseconds:F1} ms, derived communicators {Stopwatch.GetElapsedTime(windowMade).TotalMilliseconds:F1} ms"));
        }
        ResumeInInstalledGroup();
    }

    /// <summary>After a new group is installed (<see cref="InstallGroup"/> or <see cref="InstallPreparedGroup"/>): this process's rank and size in it, the end of the synchronization, the status.</summary>
    private void ResumeInInstalledGroup()
    {
        Rank = app.Rank;
        Size = app.Size;
        GroupRebuilt = true;
        EndSynchronization();
        WriteStatus("running");
    }
}
