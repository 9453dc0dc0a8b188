using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// How one type is written and read: its entry in the stream's type table (the dissertation's
/// type-information table) and its save and restore functions.
/// </summary>
internal abstract class TypeCodec
{
    protected TypeCodec(Type type, bool deferred = false, bool creationData = false, bool createsExactType = false)
    {
        Type = type;
        CreatedTypeHandle = createsExactType ? type.TypeHandle.Value : 0;
        Deferred = deferred;
        HasCreationData = creationData;
        Marked = !type.IsValueType && typeof(IStateMarked).IsAssignableFrom(type);
    }

    public Type Type { get; }

    /// <summary>
    /// True when an object of this type is created first (from <see cref="WriteCreation"/>'s data)
    /// and filled later, most recently met first (see <see cref="StateWriter"/>); false when it is written and read whole where it is met.
    /// </summary>
    public bool Deferred { get; }

    /// <summary>True when <see cref="WriteCreation"/> writes something (a deferred object's length or count).</summary>
    public bool HasCreationData { get; }

    /// <summary>True for classes whose generated code implements <see cref="IStateMarked"/>.</summary>
    public bool Marked { get; }

    /// <summary>
    /// The type handle of every object <see cref="Create"/> makes, when that is always exactly
    /// <see cref="Type"/> (so the reader need not ask the new object); 0 when not known.
    /// </summary>
    public nint CreatedTypeHandle { get; }

    public abstract void WriteDescriptor(StateWriter writer);

    public virtual void WriteCreation(StateWriter writer, object value) { }

    public virtual object Create(StateReader reader) => throw new InvalidOperationException();

    public abstract void WriteContents(StateWriter writer, object value);

    public virtual void ReadContents(StateReader reader, object value) => throw new InvalidOperationException();

    public virtual object ReadInline(StateReader reader) => throw new InvalidOperationException();
}

/// <summary>A value type; written inline where it is met (boxed, it is an inline reference).</summary>
internal abstract class ValueCodec<T>(Type type) : TypeCodec(type)
{
    public abstract void WriteValue(StateWriter writer, T value);

    public abstract T ReadValue(StateReader reader);

    public override void WriteContents(StateWriter writer, object value) => WriteValue(writer, (T)value);

    public override object ReadInline(StateReader reader) => ReadValue(reader)!;
}
