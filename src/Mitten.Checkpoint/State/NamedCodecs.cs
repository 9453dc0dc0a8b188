using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

// Codecs of registered (named) types: enums, [Migratable] structs and classes, types with save and restore functions.
/// <summary>Common part of registered (named) types.</summary>
internal interface INamedCodec
{
    string Name { get; }
    string Schema { get; }
}

internal static class NamedDescriptor
{
    public static void Write(StateWriter writer, TypeCodec codec, INamedCodec named, bool isEnum)
    {
        writer.WriteRaw(StreamFormat.KindNamed);
        writer.WriteRaw((byte)((codec.Type.IsValueType ? 1 : 0) | (isEnum ? 2 : 0)));
        writer.WriteString(named.Name);
        writer.WriteString(named.Schema);
    }
}

internal sealed class EnumCodec<T, TUnderlying>(string name) : ValueCodec<T>(typeof(T)), INamedCodec
    where T : struct, Enum
    where TUnderlying : unmanaged
{
    public string Name { get; } = name;

    public string Schema { get; } = typeof(TUnderlying).Name + ":" + string.Join(",",
        Enum.GetNames<T>().Zip(Enum.GetValues<T>(), (n, v) => n + "=" + Unsafe.As<T, TUnderlying>(ref v).ToString()));

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, true);

    public override void WriteValue(StateWriter writer, T value) => writer.Write(Unsafe.As<T, TUnderlying>(ref value));

    public override T ReadValue(StateReader reader)
    {
        TUnderlying raw = reader.Read<TUnderlying>();
        return Unsafe.As<TUnderlying, T>(ref raw);
    }
}

internal sealed class MigratableStructCodec<T>(string name) : ValueCodec<T>(typeof(T)), INamedCodec
    where T : struct, IMigratable
{
    public string Name { get; } = name;

    public string Schema { get; } = T.StateSchema;

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override void WriteValue(StateWriter writer, T value) => value.SaveState(writer);

    public override T ReadValue(StateReader reader)
    {
        T value = default;
        value.RestoreState(reader);
        return value;
    }
}

internal sealed class MigratableClassCodec<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors | System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicConstructors)] T>(string name) : TypeCodec(typeof(T), deferred: true, createsExactType: true), INamedCodec
    where T : class, IMigratable
{
    public string Name { get; } = name;

    public string Schema { get; } = T.StateSchema;

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override object Create(StateReader reader) => RuntimeHelpers.GetUninitializedObject(typeof(T));

    // The value is a T (it was met or created as one), so the interface cast can be skipped.
    public override void WriteContents(StateWriter writer, object value) => Unsafe.As<IMigratable>(value).SaveState(writer);

    public override void ReadContents(StateReader reader, object value) => Unsafe.As<IMigratable>(value).RestoreState(reader);
}

/// <summary>A type registered with save and restore functions (struct or class); written whole where met.</summary>
internal sealed class FunctionCodec<T>(string name, Action<StateWriter, T> save, Func<StateReader, T> restore)
    : ValueCodec<T>(typeof(T)), INamedCodec
{
    public string Name { get; } = name;

    public string Schema => "";

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override void WriteValue(StateWriter writer, T value) => save(writer, value);

    public override T ReadValue(StateReader reader) =>
        restore(reader) ?? throw new InvalidOperationException($"the restore function of {Name} returned null");
}
