using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// The status of a completed receive or probe. Holds the implementation's MPI_Status
/// bytes inline (no allocation); field positions come from the ABI table.
/// </summary>
public struct Status
{
    [InlineArray(8)]
    internal struct Storage
    {
        private int element;
    }

    internal Storage Raw;

    // The layout is fixed once the library is chosen; static readonly fields are constants to the JIT.
    private static readonly int SourceIndex = MpiAbi.Current.StatusSourceIndex;
    private static readonly int TagIndex = MpiAbi.Current.StatusTagIndex;
    private static readonly int ErrorIndex = MpiAbi.Current.StatusErrorIndex;
    private static readonly int ByteCountIndex = MpiAbi.Current.StatusByteCountIndex;
    private static readonly int CancelledIndex = MpiAbi.Current.StatusCancelledIndex;

    /// <summary>Rank of the sender.</summary>
    public readonly int Source => Raw[SourceIndex];

    /// <summary>Tag of the message.</summary>
    public readonly int Tag => Raw[TagIndex];

    /// <summary>Error field (meaningful after multiple-completion calls).</summary>
    public readonly int Error => Raw[ErrorIndex];

    /// <summary>Number of elements of type <typeparamref name="T"/> in the message.</summary>
    /// <remarks>
    /// Inlined: where the status holds the byte count (Open MPI), a whole number of elements that
    /// fits an int is read here; everything else (the library call, the errors) is out of line.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly unsafe int GetCount<T>() where T : unmanaged
    {
        if (ByteCountIndex >= 0)
        {
            long bytes = ByteCount;
            long count = bytes / sizeof(T);
            if (count * sizeof(T) == bytes && (ulong)count <= int.MaxValue)
            {
                return (int)count;
            }
        }
        return GetCountSlow<T>();
    }

    /// <summary>The byte count the status holds (only where <see cref="ByteCountIndex"/> says where).</summary>
    private readonly long ByteCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Unsafe.ReadUnaligned<long>(ref Unsafe.As<int, byte>(ref Unsafe.AsRef(in Raw[ByteCountIndex])));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly unsafe int GetCountSlow<T>() where T : unmanaged
    {
        if (ByteCountIndex >= 0)
        {
            // Read from the status itself (the ABI table says where): no library call.
            long bytes = ByteCount;
            if (bytes % sizeof(T) != 0)
            {
                throw new InvalidOperationException(
                    $"the message's size ({bytes} bytes) is not a whole number of {typeof(T).Name} elements");
            }
            return checked((int)(bytes / sizeof(T)));
        }
        Status copy = this;
        int count;
        MpiException.Check(MpiFunctions.Get_count(&copy.Raw, Datatype<T>.Handle, &count), "MPI_Get_count");
        if (count == MpiAbi.Current.Undefined)
        {
            throw new InvalidOperationException(
                $"the message's size is not a whole number of {typeof(T).Name} elements");
        }
        return Datatype<T>.Scale == 1 ? count : count / Datatype<T>.Scale;
    }

    /// <summary>Whether the operation was cancelled.</summary>
    public readonly bool Cancelled
    {
        // Inlined into a caller's receive loop: with Open MPI a field read (no call).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => CancelledIndex >= 0 ? Raw[CancelledIndex] != 0 : CancelledFromLibrary();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly unsafe bool CancelledFromLibrary()
    {
        Status copy = this;
        int flag;
        MpiException.Check(MpiFunctions.Test_cancelled(&copy.Raw, &flag), "MPI_Test_cancelled");
        return flag != 0;
    }

    /// <inheritdoc/>
    public override readonly string ToString() => $"Status(source={Source}, tag={Tag}, error={Error})";
}
