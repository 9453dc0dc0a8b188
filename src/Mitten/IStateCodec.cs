namespace Mitten;

/// <summary>
/// Saves and restores an application's registered state (the memory state of a migrating
/// rank). <see cref="StateCodec"/> provides ready implementations.
/// </summary>
/// <typeparam name="TState">The application's state root.</typeparam>
public interface IStateCodec<TState> where TState : class
{
    /// <summary>Writes <paramref name="state"/> to <paramref name="destination"/>.</summary>
    void Save(TState state, Stream destination);

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    TState Restore(Stream source);
}

/// <summary>Ready-made state codecs.</summary>
public static class StateCodec
{
    /// <summary>A codec from two delegates (an explicit registration of how to save and restore).</summary>
    public static IStateCodec<TState> FromDelegates<TState>(Action<TState, Stream> save, Func<Stream, TState> restore) where TState : class =>
        new DelegateCodec<TState>(save, restore);

    private sealed class DelegateCodec<TState>(Action<TState, Stream> save, Func<Stream, TState> restore) : IStateCodec<TState> where TState : class
    {
        public void Save(TState state, Stream destination) => save(state, destination);
        public TState Restore(Stream source) => restore(source);
    }
}
