using System.Runtime.InteropServices;

namespace Mitten.GroupComm.Native;

/// <summary>
/// A function in Open MPI's progress loop that cancels an armed receive once a flag word in
/// memory is set, so that a thread blocked in MPI_Wait on that receive returns.
/// </summary>
/// <remarks>
/// <para>
/// Open MPI's blocking wait (single-threaded) is a loop around <c>opal_progress</c>, which calls
/// the callbacks registered with libopen-pal's <c>opal_progress_register_lp</c> on every 8th
/// pass. The hook is registered once for the process: registering and unregistering around each
/// wait measured +4-12 ns per message (bench/RESULTS.md, ovh19), calling it on every pass +5-7 ns.
/// </para>
/// <para>
/// It must be native code. A managed callback (<c>UnmanagedCallersOnly</c>) would also run
/// from the binding's <c>SuppressGCTransition</c> calls (MPI_Test runs the progress loop),
/// where the runtime refuses to enter managed code; and it would cost a transition per call.
/// It is 57 bytes of x86-64 written once into an executable page (<see cref="Code"/>), so
/// that the binding needs no native library of its own; on any other processor there is no hook
/// and callers poll.
/// </para>
/// <para>
/// What it does, reading the <see cref="Slot"/> the waiting thread fills:
/// <c>if (armed != null &amp;&amp; (*flagWord &amp; mask) != 0) { armed = null; interrupts++; MPI_Cancel(&amp;request); }</c>,
/// and returns 0 (no events). Cancelling from inside the progress loop is what MPI_Cancel
/// from the application would do there: ob1 takes its matching lock (a no-op without threads),
/// removes an unmatched receive from the posted queue and completes it as cancelled; a receive
/// already matched is left to complete. The hook is never re-entered (one MPI thread).
/// </para>
/// </remarks>
internal static unsafe class OpenMpiProgressHook
{
    /// <summary>What the hook reads and the waiting thread fills (native memory, never freed).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Slot
    {
        internal long* FlagWord;    // +0
        internal long FlagMask;     // +8
        internal nint* Armed;       // +16: &Request while a wait may be interrupted, else null
        internal nint Cancel;       // +24: MPI_Cancel
        internal nint Request;      // +32: the request the wait passes to MPI_Wait
        internal long Interrupts;   // +40: receives the hook has cancelled
    }

    /// <summary>The hook's code for <paramref name="slot"/> (System V x86-64, <c>int hook(void)</c>).</summary>
    private static byte[] Code(Slot* slot)
    {
        byte[] code =
        [
            0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, //  0: mov rax, slot
            0x48, 0x8B, 0x78, 0x10,             // 10: mov rdi, [rax+16]      (armed)
            0x48, 0x85, 0xFF,                   // 14: test rdi, rdi
            0x74, 0x23,                         // 17: je done (54)
            0x48, 0x8B, 0x08,                   // 19: mov rcx, [rax]         (flag word's address)
            0x48, 0x8B, 0x09,                   // 22: mov rcx, [rcx]         (the flag word)
            0x48, 0x85, 0x48, 0x08,             // 25: test [rax+8], rcx      (mask)
            0x74, 0x17,                         // 29: je done (54)
            0x48, 0xC7, 0x40, 0x10, 0, 0, 0, 0, // 31: mov qword [rax+16], 0  (disarm)
            0x48, 0xFF, 0x40, 0x28,             // 39: inc qword [rax+40]     (interrupts)
            0x48, 0x83, 0xEC, 0x08,             // 43: sub rsp, 8             (16-byte alignment at the call)
            0xFF, 0x50, 0x18,                   // 47: call [rax+24]          (MPI_Cancel(rdi = &request))
            0x48, 0x83, 0xC4, 0x08,             // 50: add rsp, 8
            0x31, 0xC0,                         // 54: done: xor eax, eax
            0xC3,                               // 56: ret
        ];
        BitConverter.TryWriteBytes(code.AsSpan(2, 8), (long)slot);
        return code;
    }

    /// <summary>The slot of the installed hook, or null.</summary>
    internal static Slot* Installed { get; private set; }

    /// <summary>Why <see cref="Installed"/> is null, once <see cref="TryInstall"/> has failed.</summary>
    internal static string? FailureReason { get; private set; }

    private static readonly object Gate = new();
    private static bool attempted;

    /// <summary>Writes and registers the hook once (after MPI_Init); false, with <see cref="FailureReason"/>, if it cannot be.</summary>
    internal static bool TryInstall()
    {
        lock (Gate)
        {
            if (attempted)
            {
                return Installed != null;
            }
            attempted = true;
            FailureReason = Install();
            return Installed != null;
        }
    }

    private static string? Install()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !OperatingSystem.IsLinux())
        {
            return $"the progress hook is x86-64 Linux code; this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}";
        }
        nint library = MpiAbi.Current.Library;
        if (!DynamicLibrary.TryGetSymbol(library, "opal_progress_register_lp", out nint register))
        {
            return "the MPI library does not export Open MPI's opal_progress_register_lp (libopen-pal)";
        }
        if (MpiFunctions.Cancel == null)
        {
            return "the MPI library does not provide MPI_Cancel";
        }
        var slot = (Slot*)NativeMemory.AlignedAlloc((nuint)sizeof(Slot), 64);
        *slot = default;
        slot->Cancel = (nint)MpiFunctions.Cancel;
        byte[] code = Code(slot);
        nint page = ExecutablePage.Create(code, out string? failure);
        if (page == 0)
        {
            NativeMemory.AlignedFree(slot);
            return failure;
        }
        int rc = ((delegate* unmanaged<nint, int>)register)(page);
        if (rc != 0)
        {
            return $"opal_progress_register_lp returned {rc}";
        }
        Installed = slot;
        return null;
    }
}

/// <summary>A page of machine code: written while writable, then made read-and-execute only (never freed).</summary>
internal static partial class ExecutablePage
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    internal static unsafe nint Create(ReadOnlySpan<byte> code, out string? failure)
    {
        const nuint Length = 4096;
        nint page = Mmap(0, Length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1)
        {
            failure = $"mmap of an executable page failed (errno {Marshal.GetLastPInvokeError()})";
            return 0;
        }
        code.CopyTo(new Span<byte>((void*)page, (int)Length));
        if (Mprotect(page, Length, ProtRead | ProtExec) != 0)
        {
            failure = $"mprotect of the hook's page to read+execute failed (errno {Marshal.GetLastPInvokeError()})";
            Munmap(page, Length);
            return 0;
        }
        failure = null;
        return page;
    }
}
