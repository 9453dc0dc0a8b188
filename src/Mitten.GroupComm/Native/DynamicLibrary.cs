using System.Runtime.InteropServices;

namespace Mitten.GroupComm.Native;

/// <summary>
/// Opens the MPI library with RTLD_GLOBAL: Open MPI loads its components as plugins that
/// must see libmpi's symbols, which the runtime's own NativeLibrary.Load (RTLD_LAZY only)
/// does not provide.
/// </summary>
internal static partial class DynamicLibrary
{
    private const int RtldLazy = 0x0001;
    private const int RtldGlobal = 0x0100;

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string fileName, int flags);

    [LibraryImport("libc", EntryPoint = "dlerror")]
    private static partial nint DlError();

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets a variable in the native environment unless it is already set.</summary>
    internal static void SetEnvironmentDefault(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is null)
        {
            SetEnv(name, value, 0);
        }
    }

    internal static nint OpenGlobal(string library)
    {
        nint handle = DlOpen(library, RtldLazy | RtldGlobal);
        if (handle == 0)
        {
            string reason = Marshal.PtrToStringUTF8(DlError()) ?? "unknown reason";
            throw new MpiUnavailableException(
                $"cannot load the MPI library '{library}': {reason}. Install Open MPI (openmpi-bin, libopenmpi-dev) " +
                $"or set {MpiAbi.LibraryVariable} to the library's path.");
        }
        return handle;
    }

    internal static bool TryGetSymbol(nint library, string name, out nint address) =>
        NativeLibrary.TryGetExport(library, name, out address);

    internal static nint GetSymbol(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new MpiUnavailableException($"the MPI library has no symbol '{name}'");
}
