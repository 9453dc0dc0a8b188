using System.Buffers;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// A non-blocking operation in progress. Holds the pin on its buffer until the operation
/// completes (<see cref="Wait"/>, a successful <see cref="Test"/>, or the multiple-completion
/// calls). A request must be completed before its buffer is reused; cancelling still needs a wait.
/// </summary>
public sealed unsafe class Request
{
    private nint handle;
    private MemoryHandle pin;

    private Request(nint handle, MemoryHandle pin)
    {
        this.handle = handle;
        this.pin = pin;
    }

    internal static Request Started(int rc, string function, nint handle, MemoryHandle pin)
    {
        if (rc != 0)
        {
            pin.Dispose();
            MpiException.Check(rc, function);
        }
        return new Request(handle, pin);
    }

    internal static Request Started(int rc, string function, nint handle) => Started(rc, function, handle, default);

    /// <summary>Whether the operation has completed (the native request is MPI_REQUEST_NULL).</summary>
    public bool IsCompleted => handle == RequestHandle.RequestNull;

    /// <summary>Blocks until the operation completes.</summary>
    public Status Wait()
    {
        // One MPI_Test first: it skips the GC transition that the blocking MPI_Wait needs, and
        // an operation is often complete by now (a small send, a message already arrived).
        if (Test(out Status status))
        {
            return status;
        }
        nint h = handle;
        int rc = MpiFunctions.Wait(&h, &status.Raw);
        handle = h;
        Release();
        MpiException.Check(rc, "MPI_Wait");
        return status;
    }

    /// <summary>Completes the operation if it is done; true when it is.</summary>
    public bool Test(out Status status)
    {
        status = default;
        if (IsCompleted)
        {
            return true;
        }
        nint h = handle;
        int flag;
        int rc;
        fixed (Status.Storage* s = &status.Raw)
        {
            rc = MpiFunctions.Test(&h, &flag, s);
        }
        handle = h;
        MpiException.Check(rc, "MPI_Test");
        if (flag != 0)
        {
            Release();
        }
        return flag != 0;
    }

    /// <summary>Asks MPI to cancel the operation; the request must still be waited for.</summary>
    public void Cancel()
    {
        if (IsCompleted)
        {
            return;
        }
        nint h = handle;
        MpiException.Check(MpiFunctions.Cancel(&h), "MPI_Cancel");
    }

    /// <summary>Waits for every request.</summary>
    public static void WaitAll(ReadOnlySpan<Request> requests)
    {
        const int StackLimit = 64;
        nint[]? rented = null;
        Span<nint> handles = requests.Length <= StackLimit
            ? stackalloc nint[StackLimit]
            : (rented = ArrayPool<nint>.Shared.Rent(requests.Length));
        handles = handles[..requests.Length];
        try
        {
            for (int i = 0; i < requests.Length; i++)
            {
                handles[i] = requests[i].handle;
            }
            int rc;
            fixed (nint* h = handles)
            {
                rc = MpiFunctions.Waitall(requests.Length, h, null);
            }
            for (int i = 0; i < requests.Length; i++)
            {
                requests[i].handle = handles[i];
                if (requests[i].IsCompleted)
                {
                    requests[i].Release();
                }
            }
            MpiException.Check(rc, "MPI_Waitall");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<nint>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Waits until one request completes and returns its index (-1 when all were already complete).</summary>
    public static int WaitAny(ReadOnlySpan<Request> requests, out Status status)
    {
        status = default;
        nint[] handles = new nint[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            handles[i] = requests[i].handle;
        }
        int index;
        int rc;
        fixed (nint* h = handles)
        fixed (Status.Storage* s = &status.Raw)
        {
            rc = MpiFunctions.Waitany(requests.Length, h, &index, s);
        }
        MpiException.Check(rc, "MPI_Waitany");
        if (index == MpiAbi.Current.Undefined)
        {
            return -1;
        }
        requests[index].handle = handles[index];
        requests[index].Release();
        return index;
    }

    /// <summary>Completes one finished request if any; returns its index, or -1 when none has finished.</summary>
    public static int TestAny(ReadOnlySpan<Request> requests, out Status status)
    {
        status = default;
        nint[] handles = new nint[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            handles[i] = requests[i].handle;
        }
        int index, flag;
        int rc;
        fixed (nint* h = handles)
        fixed (Status.Storage* s = &status.Raw)
        {
            rc = MpiFunctions.Testany(requests.Length, h, &index, &flag, s);
        }
        MpiException.Check(rc, "MPI_Testany");
        if (flag == 0 || index == MpiAbi.Current.Undefined)
        {
            return -1;
        }
        requests[index].handle = handles[index];
        requests[index].Release();
        return index;
    }

    private void Release()
    {
        pin.Dispose();
        pin = default;
    }
}
