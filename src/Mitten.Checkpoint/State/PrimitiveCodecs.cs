using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

// Primitive codecs: the unmanaged primitives, strings, and "any object" as an element type.
internal sealed class PrimitiveCodec<T>(byte code) : ValueCodec<T>(typeof(T))
{
    public byte Code { get; } = code;

    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindPrimitive);
        writer.WriteRaw(Code);
    }

    public override void WriteValue(StateWriter writer, T value)
    {
        if (typeof(T) == typeof(decimal))
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(Unsafe.As<T, decimal>(ref value), bits);
            foreach (int b in bits)
            {
                writer.WriteRaw(b);
            }
        }
        else if (typeof(T) == typeof(nint) || typeof(T) == typeof(nuint))
        {
            writer.WriteRaw((long)Unsafe.As<T, nint>(ref value));
        }
        else
        {
            writer.Write(value);
        }
    }

    public override T ReadValue(StateReader reader)
    {
        if (typeof(T) == typeof(decimal))
        {
            Span<int> bits = stackalloc int[4];
            for (int i = 0; i < 4; i++)
            {
                bits[i] = reader.ReadRaw<int>();
            }
            decimal d;
            try
            {
                d = new decimal(bits);
            }
            catch (ArgumentException e)
            {
                throw new StateFormatException(StateProblem.Corrupted, "corrupt state stream: invalid decimal", e);
            }
            return Unsafe.As<decimal, T>(ref d);
        }
        if (typeof(T) == typeof(nint) || typeof(T) == typeof(nuint))
        {
            long v = reader.ReadRaw<long>();
            if (IntPtr.Size == 4 && (v > int.MaxValue || v < int.MinValue) && typeof(T) == typeof(nint))
            {
                throw new StateFormatException(StateProblem.LimitExceeded, $"native integer {v} does not fit this process's word size");
            }
            nint n = (nint)v;
            return Unsafe.As<nint, T>(ref n);
        }
        return reader.Read<T>();
    }
}

internal sealed class StringCodec() : TypeCodec(typeof(string))
{
    public override void WriteDescriptor(StateWriter writer) => writer.WriteRaw(StreamFormat.KindString);

    public override void WriteContents(StateWriter writer, object value) => writer.WriteString((string)value);

    public override object ReadInline(StateReader reader) => reader.ReadString();
}

/// <summary>Stands for "any object" as the element type of a container; never has instances.</summary>
internal sealed class ObjectCodec() : TypeCodec(typeof(object))
{
    public override void WriteDescriptor(StateWriter writer) => writer.WriteRaw(StreamFormat.KindObject);

    public override void WriteContents(StateWriter writer, object value) =>
        throw new NotSupportedException("a bare System.Object has no state to save");

    public override object ReadInline(StateReader reader) =>
        throw new StateFormatException(StateProblem.Corrupted, "corrupt state stream: an object of type System.Object");
}
