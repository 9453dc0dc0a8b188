using System.Text;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>An MPI info object: string key/value hints (e.g. <c>host</c>, <c>wdir</c> for spawn).</summary>
public sealed unsafe class Info : IDisposable
{
    private nint handle;

    private Info(nint handle) => this.handle = handle;

    internal nint Handle => handle != 0 ? handle : throw new ObjectDisposedException(nameof(Info), "the info object was freed");

    /// <summary>Creates an empty info object.</summary>
    public static Info Create()
    {
        nint h;
        MpiException.Check(MpiFunctions.Info_create(&h), "MPI_Info_create");
        return new Info(h);
    }

    /// <summary>Creates an info object holding the given pairs.</summary>
    public static Info Create(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        Info info = Create();
        foreach (var (key, value) in pairs)
        {
            info.Set(key, value);
        }
        return info;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Set(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        byte[] k = NullTerminated(key);
        byte[] v = NullTerminated(value);
        fixed (byte* kp = k)
        fixed (byte* vp = v)
        {
            MpiException.Check(MpiFunctions.Info_set(Handle, kp, vp), "MPI_Info_set");
        }
    }

    /// <summary>Reads <paramref name="key"/>; false when it is not set.</summary>
    public bool TryGet(string key, out string value)
    {
        const int MaxValue = 1024;
        byte[] k = NullTerminated(key);
        byte* buffer = stackalloc byte[MaxValue + 1];
        int flag;
        fixed (byte* kp = k)
        {
            MpiException.Check(MpiFunctions.Info_get(Handle, kp, MaxValue, buffer, &flag), "MPI_Info_get");
        }
        value = flag != 0 ? Encoding.UTF8.GetString(new ReadOnlySpan<byte>(buffer, MaxValue + 1).Slice(0, IndexOfNul(buffer, MaxValue))) : "";
        return flag != 0;
    }

    /// <summary>Frees the info object.</summary>
    public void Dispose()
    {
        if (handle == 0)
        {
            return;
        }
        nint h = handle;
        handle = 0;
        MpiException.Check(MpiFunctions.Info_free(&h), "MPI_Info_free");
    }

    internal static nint HandleOrNull(Info? info) => info?.Handle ?? MpiAbi.Current.InfoNull;

    internal static byte[] NullTerminated(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static int IndexOfNul(byte* p, int max)
    {
        int i = 0;
        while (i < max && p[i] != 0)
        {
            i++;
        }
        return i;
    }
}
