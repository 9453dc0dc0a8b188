using Mitten.Checkpoint.State;

namespace Mitten;

/// <summary>
/// State codecs for <c>[Migratable]</c> state: one line instead of a type registry, the
/// serializer and a delegate codec.
/// </summary>
/// <example>
/// <code>
/// using var session = MittenSession.Start(() => new HeatState(cells), MigratableCodec.For&lt;HeatState&gt;());
/// </code>
/// </example>
public static class MigratableCodec
{
    /// <summary>
    /// A codec for a <c>[Migratable]</c> root type whose fields are primitives, arrays,
    /// strings, collections and other <c>[Migratable]</c> types reachable from it.
    /// </summary>
    /// <typeparam name="TState">The state root (a <c>[Migratable]</c> class).</typeparam>
    public static IStateCodec<TState> For<TState>() where TState : class, IMigratable =>
        For<TState>(new StateTypeRegistry().Register<TState>());

    /// <summary>
    /// A codec over <paramref name="types"/> (which must have <typeparamref name="TState"/> and
    /// every other state type registered), with an optional step after each restore (for
    /// example to allocate working memory that is not saved).
    /// </summary>
    /// <param name="types">The registered state types.</param>
    /// <param name="afterRestore">Called with each restored state before it is returned.</param>
    public static IStateCodec<TState> For<TState>(StateTypeRegistry types, Action<TState>? afterRestore = null) where TState : class
    {
        ArgumentNullException.ThrowIfNull(types);
        return StateCodec.FromDelegates<TState>(
            (state, stream) => StateSerializer.Save(state, stream, types),
            stream =>
            {
                TState state = StateSerializer.Restore<TState>(stream, types);
                afterRestore?.Invoke(state);
                return state;
            });
    }
}
