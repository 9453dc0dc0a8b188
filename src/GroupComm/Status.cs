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

    /// <summary>Rank of the sender.</summary>
    public readonly int Source => Raw[MpiAbi.Current.StatusSourceIndex];

    /// <summary>Tag of the message.</summary>
    public readonly int Tag => Raw[MpiAbi.Current.StatusTagIndex];

    /// <summary>Error field (meaningful after multiple-completion calls).</summary>
    public readonly int Error => Raw[MpiAbi.Current.StatusErrorIndex];

    /// <summary>Number of elements of type <typeparamref name="T"/> in the message.</summary>
    public readonly unsafe int GetCount<T>() where T : unmanaged
    {
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
    public readonly unsafe bool Cancelled
    {
        get
        {
            Status copy = this;
            int flag;
            MpiException.Check(MpiFunctions.Test_cancelled(&copy.Raw, &flag), "MPI_Test_cancelled");
            return flag != 0;
        }
    }

    /// <inheritdoc/>
    public override readonly string ToString() => $"Status(source={Source}, tag={Tag}, error={Error})";
}
