using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// A non-blocking operation on caller-pinned memory, as a plain value with no allocation:
/// for protocol layers that poll an operation while doing other work. The caller keeps the
/// buffer pinned (e.g. inside a <c>fixed</c> block) until the operation completes or is
/// cancelled and completed, and must not copy the handle and complete it twice.
/// </summary>
public unsafe struct RequestHandle
{
    /// <summary>MPI_REQUEST_NULL, read once (a constant to the JIT on hot paths; <see cref="Request"/> uses it too).</summary>
    internal static readonly nint RequestNull = MpiAbi.Current.RequestNull;
    private nint handle;

    /// <summary>Whether the operation has completed (or no operation was started).</summary>
    public readonly bool IsCompleted => handle == 0 || handle == RequestNull;

    /// <summary>Starts a send of <paramref name="count"/> elements at <paramref name="buffer"/>.</summary>
    public static RequestHandle StartSend<T>(Communicator communicator, T* buffer, int count, int destination, int tag) where T : unmanaged
    {
        RequestHandle r = default;
        nint h;
        MpiException.Check(MpiFunctions.Isend(buffer, Datatype<T>.Count(count), Datatype<T>.Handle, destination, tag, communicator.Handle, &h), "MPI_Isend");
        r.handle = h;
        return r;
    }

    /// <summary>Starts a synchronous send (MPI_Issend): it completes only once the receiver has matched it.</summary>
    public static RequestHandle StartSynchronousSend<T>(Communicator communicator, T* buffer, int count, int destination, int tag) where T : unmanaged
    {
        RequestHandle r = default;
        nint h;
        MpiException.Check(MpiFunctions.Issend(buffer, Datatype<T>.Count(count), Datatype<T>.Handle, destination, tag, communicator.Handle, &h), "MPI_Issend");
        r.handle = h;
        return r;
    }

    /// <summary>Starts a receive into <paramref name="count"/> elements at <paramref name="buffer"/>.</summary>
    public static RequestHandle StartReceive<T>(Communicator communicator, T* buffer, int count, int source, int tag) where T : unmanaged
    {
        RequestHandle r = default;
        nint h;
        MpiException.Check(MpiFunctions.Irecv(buffer, Datatype<T>.Count(count), Datatype<T>.Handle, source, tag, communicator.Handle, &h), "MPI_Irecv");
        r.handle = h;
        return r;
    }

    /// <summary>Completes the operation if it is done.</summary>
    public bool Test(out Status status)
    {
        status = default;
        if (IsCompleted)
        {
            return true;
        }
        int flag;
        nint h = handle;
        fixed (Status.Storage* s = &status.Raw)
        {
            MpiException.Check(MpiFunctions.Test(&h, &flag, s), "MPI_Test");
        }
        handle = h;
        return flag != 0;
    }

    /// <summary>
    /// <see cref="Test"/> without the exception, for polling loops that must stay small enough to
    /// be inlined: returns MPI_Test's error code (0 is success; <see cref="MpiException.FromErrorCode"/>
    /// makes the exception <see cref="Test"/> would throw) and sets <paramref name="completed"/>.
    /// <paramref name="status"/> is meaningful only when the operation completed with success.
    /// </summary>
    [SkipLocalsInit]
    public int TestWithoutThrowing(out bool completed, out Status status)
    {
        Unsafe.SkipInit(out status);
        if (IsCompleted)
        {
            status = default;
            completed = true;
            return 0;
        }
        int flag;
        int rc;
        nint h = handle;
        fixed (Status.Storage* s = &status.Raw)
        {
            rc = MpiFunctions.Test(&h, &flag, s);
        }
        handle = h;
        completed = flag != 0;
        return rc;
    }

    /// <summary>Blocks until the operation completes.</summary>
    public Status Wait()
    {
        if (Test(out Status status))
        {
            return status; // as Request.Wait: a test first, without the blocking call's GC transition
        }
        nint h = handle;
        MpiException.Check(MpiFunctions.Wait(&h, &status.Raw), "MPI_Wait");
        handle = h;
        return status;
    }

    /// <summary>
    /// Blocks in MPI_Wait until this receive completes, or until a bit of <paramref name="mask"/>
    /// is set in <c>*<paramref name="flagWord"/></c>: then the receive is cancelled (unless MPI has
    /// already matched a message to it, which then completes as usual) and
    /// <paramref name="status"/>'s <see cref="Status.Cancelled"/> is true. A flag already set
    /// cancels at once. Returns MPI_Wait's error code (0 is success; the status is meaningful only
    /// then). Requires <see cref="InterruptibleWait.IsInstalled"/>; only for receives (a send
    /// cannot be cancelled); one thread at a time.
    /// </summary>
    /// <remarks>
    /// Inlined into the caller, so that in jitted code the call to MPI_Wait and its GC transition
    /// are compiled in place as a blocking <see cref="Communicator.Recv{T}(Span{T}, int, int)"/>'s
    /// are, instead of a call into this assembly's precompiled (ReadyToRun) code.
    /// </remarks>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int WaitUnlessFlagged(long* flagWord, long mask, out Status status)
    {
        Unsafe.SkipInit(out status);
        OpenMpiProgressHook.Slot* slot = OpenMpiProgressHook.Installed;
        if (slot == null)
        {
            ThrowHookNotInstalled();
        }
        if (IsCompleted)
        {
            status = default;
            return 0;
        }
        if (slot->Armed != null)
        {
            ThrowWaitInProgress();
        }
        slot->Request = handle;
        slot->FlagWord = flagWord;
        slot->FlagMask = mask;
        slot->Armed = &slot->Request;
        int rc;
        fixed (Status.Storage* s = &status.Raw)
        {
            rc = MpiFunctions.Wait(&slot->Request, s);
        }
        slot->Armed = null;
        handle = slot->Request;
        return rc;
    }

    private static void ThrowHookNotInstalled() =>
        throw new InvalidOperationException("WaitUnlessFlagged needs the progress hook: call InterruptibleWait.TryInstall first and use it only when it returned true");

    private static void ThrowWaitInProgress() =>
        throw new InvalidOperationException("another WaitUnlessFlagged is in progress (one thread at a time may wait this way)");

    /// <summary>
    /// Blocks until every operation in <paramref name="handles"/> has completed, with one
    /// MPI_Waitall on the handles in place (no copy, no allocation); afterwards every handle is
    /// completed. Handles never started (default) are passed as MPI_REQUEST_NULL.
    /// </summary>
    public static void WaitAll(Span<RequestHandle> handles)
    {
        for (int i = 0; i < handles.Length; i++)
        {
            if (handles[i].handle == 0)
            {
                handles[i].handle = RequestNull;
            }
        }
        fixed (RequestHandle* h = handles)
        {
            // The struct is its one MPI_Request field, so the span is MPI_Waitall's request array.
            MpiException.Check(MpiFunctions.Waitall(handles.Length, (nint*)h, null), "MPI_Waitall");
        }
    }

    /// <summary>Asks MPI to cancel the operation; it must still be completed with <see cref="Wait"/>.</summary>
    public readonly void Cancel()
    {
        if (IsCompleted)
        {
            return;
        }
        nint h = handle;
        MpiException.Check(MpiFunctions.Cancel(&h), "MPI_Cancel");
    }
}
