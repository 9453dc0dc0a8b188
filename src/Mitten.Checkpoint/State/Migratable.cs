using System.ComponentModel;

namespace Mitten.Checkpoint.State;

/// <summary>
/// Marks a <c>partial</c> class or struct as part of an application's migratable state. The
/// Mitten.Checkpoint.Generators source generator implements <see cref="IMigratable"/> for it:
/// every instance field and auto-property declared in the type is saved and restored, except
/// those marked <see cref="NotMigratedAttribute"/>. Register the type with
/// <see cref="StateTypeRegistry.Register{T}(string?)"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class MigratableAttribute : Attribute
{
}

/// <summary>Excludes a field or auto-property of a <see cref="MigratableAttribute"/> type from its saved state.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class NotMigratedAttribute : Attribute
{
}

/// <summary>
/// A type that saves and restores its own fields. Generated for <see cref="MigratableAttribute"/>
/// types; it can also be written by hand.
/// </summary>
/// <remarks>
/// A class is created without running a constructor and then <see cref="RestoreState"/> fills
/// it, so fields that are not restored keep their default values. Objects reached through
/// references may still be empty while <see cref="RestoreState"/> runs (they are filled
/// one after another), so restore code must only store references, not use them. Generated code
/// reads reference fields with <see cref="StateReader.ReadField{T}"/>, which sets a reference back
/// to an object restored earlier only at the end of the restore (before it returns).
/// </remarks>
public interface IMigratable
{
    /// <summary>
    /// A description of the saved fields (names and types). A stream written by a program whose
    /// description differs is rejected as a schema mismatch. Empty means "not checked".
    /// </summary>
    static virtual string StateSchema => "";

    /// <summary>Writes the fields, in a fixed order, with <see cref="StateWriter.Write{T}(T)"/>.</summary>
    void SaveState(StateWriter writer);

    /// <summary>Reads the fields in the order <see cref="SaveState"/> wrote them, with <see cref="StateReader.Read{T}"/>.</summary>
    void RestoreState(StateReader reader);
}

/// <summary>
/// Implemented by the code generated for <see cref="MigratableAttribute"/> classes: a field in which
/// a running save notes that it has met the object and under which id, so that saving a large graph
/// needs no identity table. Applications neither implement nor use it.
/// </summary>
/// <remarks>
/// A mark holds the save's epoch (high 32 bits) and the object's id (low 32 bits). A save trusts
/// only marks of its own epoch, so a stale mark left by an earlier save, or one copied along with
/// an object before the save, is never taken for this save's; at its end the save confirms, in its
/// own object list, that every id it took from a mark belongs to that very object, and fails (before
/// the stream is complete) if an object was copied with its mark while it ran. Only one save at a
/// time writes marks (others use an identity table), so saves running at once do not overwrite each
/// other's.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IStateMarked
{
    /// <summary>The mark field (zero in a new object).</summary>
    ref long StateMark { get; }
}
