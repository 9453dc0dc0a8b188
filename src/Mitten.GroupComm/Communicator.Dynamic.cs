using System.Runtime.InteropServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

public sealed unsafe partial class Communicator
{
    /// <summary>
    /// Starts <paramref name="maxProcesses"/> copies of <paramref name="command"/> (collective
    /// over this communicator; only <paramref name="root"/>'s arguments count) and returns the
    /// intercommunicator to them. Info keys such as <c>host</c> and <c>wdir</c> choose where.
    /// Fails with an <see cref="MpiException"/> (class <see cref="MpiErrorClass.Spawn"/>) when
    /// the processes cannot be started; <paramref name="errorCodes"/> then says which.
    /// </summary>
    public Communicator Spawn(string command, IReadOnlyList<string> arguments, int maxProcesses, Info? info, int root, out int[] errorCodes)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxProcesses);
        errorCodes = new int[maxProcesses];
        // Open MPI 4.1 aborts the whole job when the executable cannot be started, and a
        // failed collective spawn leaves the non-root ranks blocked; so the root checks the
        // command first and every rank learns the verdict (the call is collective anyway).
        int found = Rank == root && ExecutableExists(command) ? 1 : 0;
        if (Bcast(found, root) == 0)
        {
            throw new MpiException("MPI_Comm_spawn", 0, MpiErrorClass.NoSuchFile,
                $"the executable '{command}' does not exist or is not executable on the spawning process's host");
        }
        byte[] commandBytes = Info.NullTerminated(command);
        nint[] argv = new nint[arguments.Count + 1];
        try
        {
            for (int i = 0; i < arguments.Count; i++)
            {
                argv[i] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }
            nint intercomm;
            int rc;
            fixed (byte* c = commandBytes)
            fixed (nint* a = argv)
            fixed (int* e = errorCodes)
            {
                rc = MpiFunctions.Comm_spawn(c, arguments.Count == 0 ? null : (byte**)a, maxProcesses,
                    Info.HandleOrNull(info), root, Handle, &intercomm, e);
            }
            MpiException.Check(rc, "MPI_Comm_spawn");
            return Adopt(intercomm, $"spawn({Path.GetFileName(command)})");
        }
        finally
        {
            foreach (nint p in argv)
            {
                Marshal.FreeCoTaskMem(p);
            }
        }
    }

    /// <summary>Whether <paramref name="command"/> names an executable file (a path, or a name found on PATH).</summary>
    internal static bool ExecutableExists(string command)
    {
        static bool IsExecutable(string path) =>
            File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
        if (command.Contains('/'))
        {
            return IsExecutable(command);
        }
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return directories.Any(d => IsExecutable(Path.Combine(d, command)));
    }

    /// <summary>The intercommunicator to the parent job if this process was spawned; otherwise null.</summary>
    public static Communicator? GetParent()
    {
        nint parent;
        MpiException.Check(MpiFunctions.Comm_get_parent(&parent), "MPI_Comm_get_parent");
        return parent == MpiAbi.Current.CommNull ? null : Adopt(parent, "parent");
    }

    /// <summary>
    /// Merges an intercommunicator into an intracommunicator (collective). The group passing
    /// <paramref name="high"/> = false comes first.
    /// </summary>
    public Communicator Merge(bool high)
    {
        nint result;
        MpiException.Check(MpiFunctions.Intercomm_merge(Handle, high ? 1 : 0, &result), "MPI_Intercomm_merge");
        return Adopt(result, $"merge({name})");
    }

    /// <summary>Opens a port other processes can connect to (MPI_Open_port); close it with <see cref="ClosePort"/>.</summary>
    public static string OpenPort()
    {
        int max = MpiAbi.Current.MaxPortName;
        byte* buffer = stackalloc byte[max + 1];
        new Span<byte>(buffer, max + 1).Clear();
        MpiException.Check(MpiFunctions.Open_port(MpiAbi.Current.InfoNull, buffer), "MPI_Open_port");
        return System.Text.Encoding.UTF8.GetString(new ReadOnlySpan<byte>(buffer, max + 1).Slice(0, new ReadOnlySpan<byte>(buffer, max + 1).IndexOf((byte)0)));
    }

    /// <summary>Closes a port opened by <see cref="OpenPort"/>.</summary>
    public static void ClosePort(string port)
    {
        byte[] name = Info.NullTerminated(port);
        fixed (byte* p = name)
        {
            MpiException.Check(MpiFunctions.Close_port(p), "MPI_Close_port");
        }
    }

    /// <summary>Accepts a connection on <paramref name="port"/> (collective over this communicator; the port matters at <paramref name="root"/>) and returns the intercommunicator.</summary>
    public Communicator Accept(string port, int root)
    {
        byte[] name = Info.NullTerminated(port);
        nint result;
        fixed (byte* p = name)
        {
            MpiException.Check(MpiFunctions.Comm_accept(p, MpiAbi.Current.InfoNull, root, Handle, &result), "MPI_Comm_accept");
        }
        return Adopt(result, "accept");
    }

    /// <summary>Connects to a process group accepting on <paramref name="port"/> (collective over this communicator).</summary>
    public Communicator Connect(string port, int root)
    {
        byte[] name = Info.NullTerminated(port);
        nint result;
        fixed (byte* p = name)
        {
            MpiException.Check(MpiFunctions.Comm_connect(p, MpiAbi.Current.InfoNull, root, Handle, &result), "MPI_Comm_connect");
        }
        return Adopt(result, "connect");
    }

    /// <summary>Waits for pending communication and disconnects (MPI_Comm_disconnect, collective).</summary>
    public void Disconnect()
    {
        if (predefined)
        {
            throw new InvalidOperationException($"{name} is predefined and cannot be disconnected");
        }
        nint h = Handle;
        handle = 0;
        MpiException.Check(MpiFunctions.Comm_disconnect(&h), "MPI_Comm_disconnect");
    }
}
