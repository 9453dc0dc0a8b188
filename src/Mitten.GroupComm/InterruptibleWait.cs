using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// A blocking wait for a receive that a word of memory can interrupt: the receive waits in
/// MPI_Wait (at MPI_Recv's cost per message, no polling loop), and when another party sets a
/// bit of the word (a remote one-sided operation applied by MPI's progress, or another thread)
/// the receive is cancelled and the wait returns. For protocol layers that must answer a
/// request while the application is blocked in a receive.
/// </summary>
/// <remarks>
/// Open MPI on x86-64 Linux only: a small native function is registered once in Open MPI's
/// progress loop (<c>opal_progress_register_lp</c>, called on every 8th pass of the loop MPI_Wait
/// runs). Elsewhere <see cref="TryInstall"/> returns false and callers keep polling with
/// <see cref="RequestHandle.TestWithoutThrowing"/>. One thread at a time may wait this way
/// (the process's MPI thread).
/// </remarks>
public static unsafe class InterruptibleWait
{
    /// <summary>
    /// Installs the progress hook (once; after <see cref="Mpi.Init"/>). False, with
    /// <paramref name="reason"/>, when this MPI library or processor has no place for it.
    /// </summary>
    public static bool TryInstall(out string? reason)
    {
        bool installed = OpenMpiProgressHook.TryInstall();
        reason = OpenMpiProgressHook.FailureReason;
        return installed;
    }

    /// <summary>Whether the hook is installed, so that <see cref="RequestHandle.WaitUnlessFlagged"/> can be used.</summary>
    public static bool IsInstalled => OpenMpiProgressHook.Installed != null;

    /// <summary>How many receives the hook has cancelled because their flag word was set (diagnostics).</summary>
    public static long Interrupts => OpenMpiProgressHook.Installed is var slot && slot != null ? Volatile.Read(ref slot->Interrupts) : 0;
}
