using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using Mitten.Checkpoint.State;

namespace Mitten.Protocol;

/// <summary>
/// A codec that can run its save and restore code once on a stand-in of the state, so that a
/// migration does not wait for the JIT (<see cref="CodecWarmup"/>). Implemented by the codecs
/// of <see cref="MigratableCodec"/>.
/// </summary>
internal interface IWarmableStateCodec
{
    /// <summary>Saves and restores a stand-in (never the application's state); returns the bytes it went through.</summary>
    [RequiresDynamicCode(CodecWarmup.JitOnly)]
    long Warm();
}

/// <summary>
/// Runs the state serializer's save and restore once, at start-up, on a stand-in of the
/// application's state type, so that the moving rank's capture and the spare's restore meet
/// compiled code. Measured before (IS class A, 8 ranks, a spare): about 80 methods of the
/// save path (StateWriter, the generated SaveState, the array codecs) and 100 of the restore
/// path (StateReader, ReadGraph and ReadBlock compiled with full optimization) were compiled
/// while the group was frozen.
/// The stand-in is an object of the state's type created without a constructor (as the
/// serializer's restore creates one), whose array, string and list fields hold small values
/// of the declared types; arrays are large enough (16 KiB) to take the serializer's block path,
/// which is the one a real state's arrays take. It never holds or reads application data, and
/// it is written into memory, not sent anywhere. Nested [Migratable] objects get stand-ins too
/// (a few levels deep).
/// </summary>
internal static class CodecWarmup
{
    /// <summary>Bytes of each stand-in array: above the serializer's block threshold (StreamFormat.BlockThreshold, 16 KiB).</summary>
    private const int ArrayBytes = 16 * 1024 + 64;

    private const int MaxDepth = 4;

    /// <summary>Why the round trip is for the JIT only: it compiles; under Native AOT the serializer was compiled when the program was published (ProtocolWarmup.CanCompile).</summary>
    internal const string JitOnly = "compiles the serializer ahead of its use; under Native AOT there is nothing to compile";

    /// <summary>
    /// Saves a stand-in of <typeparamref name="TState"/> with <paramref name="types"/> and restores
    /// it (the codec's own after-restore step is not run: it belongs to the application). Returns
    /// the bytes of the saved stream.
    /// </summary>
    [RequiresDynamicCode(JitOnly)]
    internal static long RoundTrip<TState>(StateTypeRegistry types) where TState : class
    {
        object standIn = StandIn(typeof(TState), types, 0) ?? throw new NotSupportedException($"no stand-in for {typeof(TState)}");
        var buffer = new MemoryStream();
        // Through a plain stream, as in a migration (the serializer has shortcuts for a MemoryStream).
        StateSerializer.Save((TState)standIn, new PassThroughStream(buffer), types);
        long bytes = buffer.Length;
        buffer.Position = 0;
        _ = StateSerializer.Restore<TState>(new PassThroughStream(buffer), types);
        return bytes;
    }

    /// <summary>An object of <paramref name="type"/> for the round trip, or null when this type gets none.</summary>
    [RequiresDynamicCode(JitOnly)]
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Best effort: a stand-in whose constructor trimming removed fails, and WarmCodec notes the failure and goes on.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Best effort: fields trimming removed are never saved, so a stand-in without them serves as well.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Best effort, as above.")]
    private static object? StandIn(Type type, StateTypeRegistry types, int depth)
    {
        if (depth > MaxDepth || type.IsAbstract || type.IsInterface || !types.Supports(type))
        {
            return null;
        }
        if (type == typeof(string))
        {
            return "mitten";
        }
        if (type.IsArray && type.GetArrayRank() == 1 && type.GetElementType() is { } element)
        {
            if (element.IsPrimitive)
            {
                int elementBytes = Buffer.ByteLength(Array.CreateInstance(element, 1));
                return Array.CreateInstance(element, ArrayBytes / elementBytes + 1);
            }
            Array array = Array.CreateInstance(element, 1);
            if (!element.IsValueType)
            {
                array.SetValue(StandIn(element, types, depth + 1), 0);
            }
            return array;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is { } definition &&
            (definition == typeof(List<>) || definition == typeof(Dictionary<,>)))
        {
            return Activator.CreateInstance(type); // empty: the container's code, not its elements'
        }
        if (type.IsValueType || !typeof(IMigratable).IsAssignableFrom(type))
        {
            return null;
        }
        object instance = RuntimeHelpers.GetUninitializedObject(type);
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsValueType && StandIn(field.FieldType, types, depth + 1) is { } value)
                {
                    field.SetValue(instance, value);
                }
            }
        }
        return instance;
    }

    /// <summary>A stream that forwards to another without being a MemoryStream itself.</summary>
    private sealed class PassThroughStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
