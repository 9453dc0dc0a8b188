using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// Maps an unmanaged element type to the MPI datatype it travels as, computed once per
/// type (a static generic cache, so the hot path is a field load). Primitive numeric
/// types map to MPI's own datatypes and can be reduced; any other unmanaged struct
/// travels as <c>sizeof(T)</c> bytes (<see cref="Scale"/>) and cannot be reduced.
/// </summary>
internal static unsafe class Datatype<T> where T : unmanaged
{
    internal static readonly nint Handle;
    internal static readonly int Scale;
    internal static readonly bool Reducible;

    static Datatype()
    {
        PredefinedDatatype? native = typeof(T) switch
        {
            var t when t == typeof(byte) => PredefinedDatatype.UInt8,
            var t when t == typeof(sbyte) => PredefinedDatatype.Int8,
            var t when t == typeof(short) => PredefinedDatatype.Int16,
            var t when t == typeof(ushort) => PredefinedDatatype.UInt16,
            var t when t == typeof(char) => PredefinedDatatype.UInt16,
            var t when t == typeof(int) => PredefinedDatatype.Int32,
            var t when t == typeof(uint) => PredefinedDatatype.UInt32,
            var t when t == typeof(long) => PredefinedDatatype.Int64,
            var t when t == typeof(ulong) => PredefinedDatatype.UInt64,
            var t when t == typeof(nint) => PredefinedDatatype.Int64,
            var t when t == typeof(nuint) => PredefinedDatatype.UInt64,
            var t when t == typeof(float) => PredefinedDatatype.Float,
            var t when t == typeof(double) => PredefinedDatatype.Double,
            var t when t == typeof(bool) => PredefinedDatatype.CBool,
            _ => null,
        };
        if (native is { } known)
        {
            Handle = MpiAbi.Current.Datatype(known);
            Scale = 1;
            Reducible = true;
        }
        else
        {
            Handle = MpiAbi.Current.Datatype(PredefinedDatatype.Byte);
            Scale = sizeof(T);
            Reducible = false;
        }
    }

    /// <summary>Converts an element count to the MPI count, checking the int range.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int Count(int elements)
    {
        if (Scale == 1)
        {
            return elements;
        }
        long count = (long)elements * Scale;
        if (count > int.MaxValue)
        {
            ThrowCountOutOfRange(elements);
        }
        return (int)count;
    }

    private static void ThrowCountOutOfRange(int elements) =>
        throw new ArgumentOutOfRangeException(nameof(elements), $"{elements} elements of {typeof(T).Name} exceed the MPI count range");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void RequireReducible()
    {
        if (!Reducible)
        {
            ThrowNotReducible();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotReducible() =>
        throw new NotSupportedException(
            $"{typeof(T).Name} has no predefined MPI datatype, so MPI reduction operations cannot combine it");
}
