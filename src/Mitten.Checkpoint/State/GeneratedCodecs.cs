using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Mitten.Checkpoint.State;

/// <summary>
/// Implemented by the code generated for <see cref="MigratableAttribute"/> types: makes the
/// type's codec without reflection, so that <see cref="StateTypeRegistry.Register{T}(string?)"/>
/// works in a program published with Native AOT (where a codec made by reflection over a type
/// the compiler did not see instantiated does not exist). Applications neither implement nor use it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMigratableCodecSource
{
    /// <summary>The codec of this type under <paramref name="name"/> (called on an instance without state, never on the application's).</summary>
    object CreateStateCodec(string name);
}

/// <summary>The codecs of <see cref="IMigratableCodecSource"/> (generated code calls these; applications do not).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedStateCodecs
{
    /// <summary>The codec of a [Migratable] class.</summary>
    public static object Class<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.NonPublicConstructors)] T>(string name)
        where T : class, IMigratable => new MigratableClassCodec<T>(name);

    /// <summary>The codec of a [Migratable] struct.</summary>
    public static object Struct<T>(string name) where T : struct, IMigratable => new MigratableStructCodec<T>(name);
}
