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
        return new RegistryCodec<TState>(types, afterRestore);
    }

    /// <summary>How long the last restore's after-restore step took (for MITTEN_TRACE's restore line).</summary>
    internal static double LastAfterRestoreMs { get; private set; }

    /// <summary>
    /// The serializer over a registry. It can warm itself up (Protocol/CodecWarmup.cs): its save
    /// and restore code runs once on a stand-in at start-up, so a migration does not compile it.
    /// </summary>
    private sealed class RegistryCodec<TState>(StateTypeRegistry types, Action<TState>? afterRestore) : IStateCodec<TState>, Protocol.IWarmableStateCodec
        where TState : class
    {
        public void Save(TState state, Stream destination) => StateSerializer.Save(state, destination, types);

        public TState Restore(Stream source)
        {
            TState state = StateSerializer.Restore<TState>(source, types);
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            afterRestore?.Invoke(state);
            LastAfterRestoreMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return state;
        }

        [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Protocol.CodecWarmup.JitOnly)]
        public long Warm() => Protocol.CodecWarmup.RoundTrip<TState>(types);
    }
}
