using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// The types an application declares as its state. Saving meets only these (plus primitives,
/// strings, and arrays, <c>List&lt;T&gt;</c>, <c>Dictionary&lt;K,V&gt;</c>, <c>ArraySegment&lt;T&gt;</c>,
/// <c>Memory&lt;T&gt;</c> and <c>ReadOnlyMemory&lt;T&gt;</c> of supported types), and restoring creates only
/// these: a stream naming any other type is rejected with <see cref="StateProblem.UnregisteredType"/>.
/// The writer and the reader must register the same types under the same names.
/// Registration is not thread-safe; use from several threads once registration is done is.
/// </summary>
public sealed class StateTypeRegistry
{
    private readonly ConcurrentDictionary<Type, TypeCodec> codecs = new();
    private readonly Dictionary<string, TypeCodec> byName = new(StringComparer.Ordinal);

    /// <summary>Creates a registry that knows the built-in types only.</summary>
    public StateTypeRegistry()
    {
        foreach (TypeCodec codec in Primitives)
        {
            codecs[codec.Type] = codec;
        }
        codecs[typeof(string)] = new StringCodec();
        codecs[typeof(object)] = new ObjectCodec();
    }

    /// <summary>
    /// Registers a type that implements <see cref="IMigratable"/> (usually generated for a
    /// <see cref="MigratableAttribute"/> type), or an enum.
    /// </summary>
    /// <param name="name">The name the stream carries; default: the type's full name.</param>
    /// <returns>This registry.</returns>
    /// <exception cref="ArgumentException">The type is neither, is abstract, or the name or type is already registered.</exception>
    public StateTypeRegistry Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.NonPublicConstructors)] T>(string? name = null)
    {
        Type type = typeof(T);
        name ??= type.FullName ?? type.Name;
        TypeCodec codec;
        if (typeof(IMigratableCodecSource).IsAssignableFrom(type) && !type.IsAbstract && !type.IsInterface)
        {
            // Generated code makes its codec itself (no reflection; Native AOT), asked on an
            // instance without state: a struct's default, a class created without a constructor.
            object source = type.IsValueType ? default(T)! : RuntimeHelpers.GetUninitializedObject(type);
            codec = (TypeCodec)((IMigratableCodecSource)source).CreateStateCodec(name);
        }
        else if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new NotSupportedException(
                $"{type} cannot be registered in a program compiled with Native AOT: only [Migratable] types (whose generated code makes their codec) and types registered with save and restore functions can");
        }
        else if (type.IsEnum)
        {
            codec = Make(typeof(EnumCodec<,>), [type, Enum.GetUnderlyingType(type)], name);
        }
        else if (typeof(IMigratable).IsAssignableFrom(type))
        {
            if (type.IsAbstract || type.IsInterface)
            {
                throw new ArgumentException($"{type} is abstract; register its concrete types", nameof(T));
            }
            codec = Make(type.IsValueType ? typeof(MigratableStructCodec<>) : typeof(MigratableClassCodec<>), [type], name);
        }
        else
        {
            throw new ArgumentException(
                $"{type} does not implement IMigratable: mark it [Migratable] (and partial), or register it with save and restore functions",
                nameof(T));
        }
        return Add(codec, name);
    }

    /// <summary>
    /// Registers a type with hand-written save and restore functions (no reflection, no generator).
    /// An instance is written whole where it is first met; later references to the same object
    /// restore as the same object. A reference cycle that comes back into an instance while its
    /// restore function runs is rejected; cycles may pass through <see cref="IMigratable"/> classes,
    /// arrays and collections. The objects a restore function receives may still be empty, or have
    /// reference fields not yet set (those are set at the end of the restore), so it must only store
    /// them, not use them.
    /// </summary>
    /// <param name="save">Writes the instance's parts with <see cref="StateWriter.Write{T}(T)"/>.</param>
    /// <param name="restore">Reads the parts in the same order and builds the instance.</param>
    /// <param name="name">The name the stream carries; default: the type's full name.</param>
    /// <returns>This registry.</returns>
    public StateTypeRegistry Register<T>(Action<StateWriter, T> save, Func<StateReader, T> restore, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(save);
        ArgumentNullException.ThrowIfNull(restore);
        name ??= typeof(T).FullName ?? typeof(T).Name;
        return Add(new FunctionCodec<T>(name, save, restore), name);
    }

    /// <summary>True when <paramref name="type"/> can be saved and restored with this registry.</summary>
    public bool Supports(Type type)
    {
        try
        {
            GetCodec(type);
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private StateTypeRegistry Add(TypeCodec codec, string name)
    {
        if (byName.ContainsKey(name))
        {
            throw new ArgumentException($"the name '{name}' is already registered", nameof(name));
        }
        if (!codecs.TryAdd(codec.Type, codec))
        {
            throw new ArgumentException($"{codec.Type} is already registered or is a built-in type", nameof(name));
        }
        byName.Add(name, codec);
        return this;
    }

    internal ValueCodec<T> GetValueCodec<T>() =>
        GetCodec(typeof(T)) as ValueCodec<T> ?? throw new NotSupportedException($"{typeof(T)} is not a supported value type");

    internal TypeCodec GetCodec(Type type)
    {
        if (codecs.TryGetValue(type, out TypeCodec? codec))
        {
            return codec;
        }
        return codecs.GetOrAdd(type, Build(type));
    }

    private TypeCodec Build(Type type)
    {
        if (BuiltInContainers.TryGetValue(type, out Func<StateTypeRegistry, TypeCodec>? make))
        {
            return make(this);
        }
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new NotSupportedException(
                $"{type} is not registered with the StateTypeRegistry and, in a program compiled with Native AOT, not one of the built-in containers made without reflection (arrays, lists, segments and memories of primitives and strings)");
        }
        return BuildByReflection(type);
    }

    /// <summary>
    /// The containers whose codecs are made without reflection, so that they exist in a program
    /// compiled with Native AOT too: one-dimensional arrays, lists, array segments and memories
    /// of the primitive types and of strings.
    /// </summary>
    private static readonly Dictionary<Type, Func<StateTypeRegistry, TypeCodec>> BuiltInContainers = MakeBuiltInContainers();

    private static Dictionary<Type, Func<StateTypeRegistry, TypeCodec>> MakeBuiltInContainers()
    {
        var table = new Dictionary<Type, Func<StateTypeRegistry, TypeCodec>>();
        AddContainers<bool>(table); AddContainers<byte>(table); AddContainers<sbyte>(table); AddContainers<char>(table);
        AddContainers<short>(table); AddContainers<ushort>(table); AddContainers<int>(table); AddContainers<uint>(table);
        AddContainers<long>(table); AddContainers<ulong>(table); AddContainers<float>(table); AddContainers<double>(table);
        AddContainers<decimal>(table); AddContainers<nint>(table); AddContainers<nuint>(table); AddContainers<string>(table);
        return table;
    }

    private static void AddContainers<T>(Dictionary<Type, Func<StateTypeRegistry, TypeCodec>> table)
    {
        table[typeof(T[])] = r => new ArrayCodec<T>(r.GetCodec(typeof(T)));
        table[typeof(List<T>)] = r => new ListCodec<T>(r.GetCodec(typeof(T)));
        table[typeof(ArraySegment<T>)] = r => new SegmentCodec<T>(r.GetCodec(typeof(T)));
        table[typeof(Memory<T>)] = r => new MemoryCodec<T>(r.GetCodec(typeof(T)));
        table[typeof(ReadOnlyMemory<T>)] = r => new ReadOnlyMemoryCodec<T>(r.GetCodec(typeof(T)));
    }

    [RequiresDynamicCode("makes codec types for the type's element types")]
    private TypeCodec BuildByReflection(Type type)
    {
        if (type.IsArray)
        {
            Type element = type.GetElementType()!;
            TypeCodec elementCodec = GetCodec(element);
            return type.IsSZArray
                ? Make(typeof(ArrayCodec<>), [element], elementCodec)
                : Make(typeof(MultiArrayCodec<>), [element], elementCodec, type.GetArrayRank());
        }
        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            Type[] arguments = type.GetGenericArguments();
            Type? codecType =
                definition == typeof(List<>) ? typeof(ListCodec<>) :
                definition == typeof(Dictionary<,>) ? typeof(DictionaryCodec<,>) :
                definition == typeof(ArraySegment<>) ? typeof(SegmentCodec<>) :
                definition == typeof(Memory<>) ? typeof(MemoryCodec<>) :
                definition == typeof(ReadOnlyMemory<>) ? typeof(ReadOnlyMemoryCodec<>) : null;
            if (codecType is not null)
            {
                object[] elementCodecs = arguments.Select(a => (object)GetCodec(a)).ToArray();
                return Make(codecType, arguments, elementCodecs);
            }
        }
        throw new NotSupportedException($"{type} is not registered with the StateTypeRegistry and is not a supported built-in type");
    }

    [RequiresDynamicCode("instantiates a codec type over runtime types")]
    [UnconditionalSuppressMessage("Trimming", "IL2055:MakeGenericType", Justification = "The codec types' generic parameters carry no DynamicallyAccessedMembers requirements.")]
    [UnconditionalSuppressMessage("Trimming", "IL2071:MakeGenericType", Justification = "The codec types' generic parameters carry no DynamicallyAccessedMembers requirements.")]
    private static TypeCodec Make([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type generic, Type[] arguments, params object[] constructorArguments) =>
        (TypeCodec)Activator.CreateInstance(MakeCodecType(generic, arguments), constructorArguments)!;

    [RequiresDynamicCode("instantiates a codec type over runtime types")]
    [UnconditionalSuppressMessage("Trimming", "IL2055:MakeGenericType", Justification = "The codec types' generic parameters carry no DynamicallyAccessedMembers requirements.")]
    [UnconditionalSuppressMessage("Trimming", "IL2068", Justification = "The constructors of the codec generic definitions are kept (the parameter's annotation); an instantiation keeps its definition's members.")]
    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)]
    private static Type MakeCodecType([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type generic, Type[] arguments) =>
        generic.MakeGenericType(arguments);

    /// <summary>Reads one type descriptor and finds the local type it names (never a type outside this registry).</summary>
    /// <remarks>
    /// The array and generic types named here are only looked up: a codec is found for them when
    /// this program registered or writes them (in a program compiled with Native AOT, a type its
    /// code never uses cannot be made, and a stream naming one is rejected with that exception; a
    /// migration's stream is written by the same program, whose writer met every type it names).
    /// </remarks>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only types the program's code uses can occur in its streams (see remarks); making another throws NotSupportedException, which the restore reports.")]
    internal TypeCodec ResolveDescriptor(StateReader reader)
    {
        byte kind = reader.ReadRaw<byte>();
        switch (kind)
        {
            case StreamFormat.KindPrimitive:
                byte code = reader.ReadRaw<byte>();
                return code >= 1 && code <= Primitives.Length
                    ? Primitives[code - 1]
                    : throw StateReader.Corrupt($"unknown primitive type code {code}");
            case StreamFormat.KindString:
                return codecs[typeof(string)];
            case StreamFormat.KindObject:
                return codecs[typeof(object)];
            case StreamFormat.KindNamed:
                return ResolveNamed(reader);
            case StreamFormat.KindArray:
                byte rank = reader.ReadRaw<byte>();
                if (rank < 1 || rank > 32)
                {
                    throw StateReader.Corrupt($"array rank {rank}");
                }
                Type element = ElementType(reader);
                return GetCodec(rank == 1 ? element.MakeArrayType() : element.MakeArrayType(rank));
            case StreamFormat.KindList:
                return GetCodec(typeof(List<>).MakeGenericType(ElementType(reader)));
            case StreamFormat.KindDictionary:
                Type key = ElementType(reader);
                Type value = ElementType(reader);
                if (key.IsValueType && Nullable.GetUnderlyingType(key) is not null)
                {
                    throw StateReader.Corrupt("a dictionary key type is nullable");
                }
                return GetCodec(typeof(Dictionary<,>).MakeGenericType(key, value));
            case StreamFormat.KindSegment:
                return GetCodec(typeof(ArraySegment<>).MakeGenericType(ElementType(reader)));
            case StreamFormat.KindMemory:
                return GetCodec(typeof(Memory<>).MakeGenericType(ElementType(reader)));
            case StreamFormat.KindReadOnlyMemory:
                return GetCodec(typeof(ReadOnlyMemory<>).MakeGenericType(ElementType(reader)));
            default:
                throw StateReader.Corrupt($"unknown type descriptor kind {kind}");
        }
    }

    private static Type ElementType(StateReader reader)
    {
        Type type = reader.ReadTypeRef().Type;
        if (type.IsByRefLike || type.IsPointer)
        {
            throw StateReader.Corrupt($"{type} cannot be an element type");
        }
        return type;
    }

    private TypeCodec ResolveNamed(StateReader reader)
    {
        byte flags = reader.ReadRaw<byte>();
        string name = reader.ReadString();
        string schema = reader.ReadString();
        if (!byName.TryGetValue(name, out TypeCodec? codec))
        {
            throw new StateFormatException(StateProblem.UnregisteredType, $"the stream names type '{name}', which this program did not register");
        }
        bool isValueType = (flags & 1) != 0, isEnum = (flags & 2) != 0;
        if (isValueType != codec.Type.IsValueType || isEnum != codec.Type.IsEnum)
        {
            throw new StateFormatException(StateProblem.SchemaMismatch,
                $"type '{name}' was saved as a {(isEnum ? "enum" : isValueType ? "struct" : "class")}, this program registers {codec.Type}");
        }
        string local = ((INamedCodec)codec).Schema;
        if (schema.Length > 0 && local.Length > 0 && schema != local)
        {
            throw new StateFormatException(StateProblem.SchemaMismatch,
                $"type '{name}' has changed since the stream was written: saved as [{schema}], this program has [{local}]");
        }
        return codec;
    }

    private static readonly TypeCodec[] Primitives =
    [
        new PrimitiveCodec<bool>(1), new PrimitiveCodec<byte>(2), new PrimitiveCodec<sbyte>(3), new PrimitiveCodec<char>(4),
        new PrimitiveCodec<short>(5), new PrimitiveCodec<ushort>(6), new PrimitiveCodec<int>(7), new PrimitiveCodec<uint>(8),
        new PrimitiveCodec<long>(9), new PrimitiveCodec<ulong>(10), new PrimitiveCodec<float>(11), new PrimitiveCodec<double>(12),
        new PrimitiveCodec<decimal>(13), new PrimitiveCodec<nint>(14), new PrimitiveCodec<nuint>(15),
    ];
}
