using Mitten.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Coordinated checkpoint: a synchronization in checkpoint mode, led by rank 0. It proceeds
/// only when every rank has stopped at its migration point of the global superstep (a rank
/// blocked between migration points cannot be saved there: the leader retries at a later
/// superstep, and after <see cref="MaxCheckpointAttempts"/> the request fails with the reason).
/// After the drain every rank's state plus its received-message-list is a consistent global
/// state; each rank writes it, the epoch counts only when all succeeded, and all resume.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>MITTEN_CHECKPOINT_ATTEMPTS, default 50: synchronizations one checkpoint request may try.</summary>
    private static readonly int MaxCheckpointAttempts =
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_CHECKPOINT_ATTEMPTS"), out int attempts) && attempts > 0 ? attempts : 50;

    /// <summary>The epoch of the last checkpoint this process took part in (-1 when none or failed).</summary>
    internal long LastCheckpointEpoch { get; private set; } = -1;

    /// <summary>Where the last complete checkpoint of this group was written (named when the job has to end).</summary>
    internal string? LastCheckpointDirectory { get; private set; } = Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") is { Length: > 0 } restart ? restart : null;

    private void WriteCheckpointAndResume(SynchronizationSession session, long publishSuperstep)
    {
        string directory = session.CheckpointDirectory!;
        string reason = "";
        long epoch = -1;
        byte[] state = [], communication = [];
        System.Diagnostics.Activity? span = StartCheckpointSpan(session);
        try
        {
            using (var buffer = new MemoryStream())
            {
                captureApplicationState(buffer);
                state = buffer.ToArray();
            }
            communication = CheckpointCommunicationState(); // the drained messages of every channel, derived ones by key
        }
        catch (Exception e)
        {
            reason = $"rank {Rank}: the state codec could not save the state: {e.GetType().Name}: {e.Message}";
        }
        // Every rank learns whether all captured (a rank that failed must not leave the others in the store's collectives).
        int failed;
        using (BlockingCallLimit.Arm(ProtocolTimeouts.Step, () => EndJob(-1, "agreeing on the checkpoint's capture did not finish in time")))
        {
            Span<int> count = [reason.Length == 0 ? 0 : 1];
            control.Communicator.AllreduceInPlace(count, Op.Sum);
            failed = count[0];
        }
        if (failed > 0)
        {
            reason = reason.Length > 0 ? reason : $"{failed} rank(s) could not save their state";
        }
        else
        {
            try
            {
                if (!OperatingSystem.IsWindows() && !Directory.Exists(directory))
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // owner only
                }
                var store = new Mitten.Checkpoint.Coordinated.CheckpointStore(directory, new Mitten.Checkpoint.State.StateTypeRegistry(), keep: 2);
                using (BlockingCallLimit.Arm(ProtocolTimeouts.Restore, () => EndJob(-1, $"writing the checkpoint into {directory} did not finish within {ProtocolTimeouts.Restore.TotalSeconds:0} s")))
                {
                    epoch = store.Write(app, state, communication);
                }
                LastCheckpointDirectory = directory;
            }
            catch (IOException e)
            {
                reason = e.Message;
            }
        }
        string outcome = reason.Length == 0 ? "written" : "failed";
        if (reason.Length > 0)
        {
            MittenLog.CheckpointFailed(MittenLog.Logger, Rank, directory, reason);
        }
        EndCheckpointSpan(span, epoch, state.Length + communication.Length, reason);
        if (Rank == session.Leader && session.Request is { } request)
        {
            job?.WriteCheckpointOutcome(request.Id, outcome, epoch, directory, reason);
            job?.AppendEvent("checkpoint", Rank, session.Id, request.Id, $"\"epoch\":{epoch},\"outcome\":\"{outcome}\"");
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"checkpoint epoch {epoch} {outcome} in {directory}");
            }
        }
        LastCheckpointEpoch = epoch;
        ResumeAfterAbort(publishSuperstep);
    }

    /// <summary>The leader: a checkpoint synchronization was aborted; retry it at a later superstep when the cut was the problem, else it failed.</summary>
    private void EndCheckpointAttempt(SynchronizationSession session, string reason)
    {
        MigrationRequest request = session.Request!;
        if (reason.StartsWith(BlockedForCheckpoint, StringComparison.Ordinal) && request.Attempts + 1 < MaxCheckpointAttempts)
        {
            requests.Enqueue(request with { Attempts = request.Attempts + 1 });
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"checkpoint {request.Id} attempt {request.Attempts + 1}: {reason}; retried at a later superstep");
            }
            return;
        }
        string why = request.Attempts > 0 ? $"{reason} (after {request.Attempts + 1} attempts)" : reason;
        MittenLog.CheckpointNotTaken(MittenLog.Logger, Rank, request.CheckpointDirectory, why);
        job?.WriteCheckpointOutcome(request.Id, "failed", -1, request.CheckpointDirectory!, why);
        job?.AppendEvent("checkpoint", Rank, session.Id, request.Id, "\"epoch\":-1,\"outcome\":\"failed\"");
        LastCheckpointEpoch = -1;
    }
}
