using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// Polling a request the way MPI_Wait's own loop does, for <see cref="RequestHandle.Poll"/>:
/// read the request's completion word, and while it is pending run one round of the progress
/// engine (opal_progress) and read it again, with no memory barrier and no call into the MPI
/// API; only once it reads complete, one MPI_Test (which frees the request and gives the status).
/// MPI_Test costs two full barriers per poll in Open MPI 4.1 (<c>ompi_request_default_test</c>:
/// barrier, check, progress, barrier, check), MPI_Wait's loop none, which is where a polled
/// wait's extra per-message cost was measured to come from (bench/RESULTS.md, nb15, msg15).
/// </summary>
/// <remarks>
/// The completion word's offset is an implementation constant (<see cref="MpiAbi.RequestCompleteOffset"/>),
/// so it is checked once at <see cref="Mpi.Init"/> against the library itself: a receive on a
/// duplicate of MPI_COMM_SELF must read pending before its message and across progress rounds,
/// and complete after the matching send, and MPI_Test must agree and deliver the byte; a pending
/// receive that is then cancelled must read pending until cancelled. Any disagreement (another
/// MPI, another Open MPI layout, a debug build, opal_progress not exported) leaves
/// <see cref="Offset"/> 0 and every poll is a plain MPI_Test. Single-threaded use only (the
/// binding's default level): the word is written by the thread that runs the progress engine,
/// which is the polling thread.
/// </remarks>
internal static unsafe class DirectCompletion
{
    /// <summary>The verified offset of the completion word, or 0 (disabled: poll with MPI_Test).</summary>
    internal static readonly nint Offset = Verify();

    /// <summary>Whether the poll reads the completion word (the check at start-up passed).</summary>
    internal static bool Enabled => Offset != 0;

    /// <summary>The value of a completed request's word (REQUEST_COMPLETED).</summary>
    private const nint Completed = 1;

    /// <summary>
    /// True when the request at <paramref name="handle"/> (a live, non-null request) is still
    /// pending after one round of progress; false when it has completed (then MPI_Test completes it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool StillPending(nint handle)
    {
        nint* word = (nint*)(handle + Offset);
        if (Volatile.Read(ref *word) == Completed)
        {
            return false;
        }
        MpiFunctions.Progress();
        return Volatile.Read(ref *word) != Completed;
    }

    private static nint Verify()
    {
        int offset = MpiAbi.Current.RequestCompleteOffset;
        if (offset <= 0 || MpiFunctions.Progress == null || !Mpi.IsInitialized || Mpi.IsFinalized
            || Mpi.ProvidedThreadLevel == ThreadLevel.Multiple
            || Environment.GetEnvironmentVariable("MITTEN_MPI_TEST_POLL") == "1")
        {
            return 0;
        }
        nint self = MpiAbi.Current.CommSelf;
        nint comm;
        if (MpiFunctions.Comm_dup(self, &comm) != 0)
        {
            return 0;
        }
        bool ok;
        try
        {
            ok = Check(comm, offset);
        }
        finally
        {
            MpiFunctions.Comm_free(&comm);
        }
        return ok ? offset : 0;
    }

    private static bool Check(nint comm, int offset)
    {
        nint type = Datatype<byte>.Handle;
        byte sent = 0x5A, received = 0;
        nint receive, send;
        if (MpiFunctions.Irecv(&received, 1, type, 0, 1, comm, &receive) != 0)
        {
            return false;
        }
        bool ok = Read(receive, offset) == 0;
        for (int i = 0; i < 8; i++)
        {
            MpiFunctions.Progress();
            ok &= Read(receive, offset) == 0; // nothing sent yet: still pending
        }
        if (MpiFunctions.Isend(&sent, 1, type, 0, 1, comm, &send) != 0)
        {
            ok = false;
        }
        bool seen = false;
        for (int i = 0; i < 100_000 && !seen; i++)
        {
            seen = Read(receive, offset) == Completed;
            if (!seen)
            {
                MpiFunctions.Progress();
            }
        }
        int flag = 0;
        ok &= seen && MpiFunctions.Test(&receive, &flag, null) == 0 && flag != 0 && received == sent;
        if (!seen || flag == 0)
        {
            MpiFunctions.Cancel(&receive);
            MpiFunctions.Wait(&receive, null);
        }
        MpiFunctions.Wait(&send, null);

        // A receive that never matches: pending until cancelled.
        nint never;
        if (MpiFunctions.Irecv(&received, 1, type, 0, 2, comm, &never) != 0)
        {
            return false;
        }
        for (int i = 0; i < 8; i++)
        {
            MpiFunctions.Progress();
            ok &= Read(never, offset) == 0;
        }
        MpiFunctions.Cancel(&never);
        MpiFunctions.Wait(&never, null);
        return ok;
    }

    private static nint Read(nint handle, int offset) => Volatile.Read(ref *(nint*)(handle + offset));
}
