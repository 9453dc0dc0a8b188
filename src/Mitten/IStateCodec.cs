namespace Mitten;

/// <summary>
/// Saves and restores an application's registered state (the memory state of a migrating
/// rank). <see cref="StateCodec"/> provides ready implementations.
/// </summary>
/// <typeparam name="TState">The application's state root.</typeparam>
public interface IStateCodec<TState> where TState : class
{
    /// <summary>
    /// Writes <paramref name="state"/> to <paramref name="destination"/>. In a migration the
    /// stream is the transfer itself (written bytes are on their way to the replacement while
    /// the codec goes on), so it is write-only and not seekable, has no size limit (a state may
    /// exceed 2 GiB), and large writes are cheaper than many small ones. For a checkpoint it is a
    /// memory stream. A codec that throws (also after writing part of the state) rolls the
    /// migration back.
    /// </summary>
    void Save(TState state, Stream destination);

    /// <summary>
    /// Reads a state written by <see cref="Save"/>. In a migration <paramref name="source"/>
    /// delivers the bytes as they arrive: it is read-only and not seekable, a read may return
    /// fewer bytes than asked (use <see cref="Stream.ReadExactly(Span{byte})"/> or a
    /// <see cref="BinaryReader"/>), and it ends where the saved state ends (bytes the codec does not
    /// read are skipped; disposing it is allowed and has no effect). A codec that throws rolls the
    /// migration back.
    /// </summary>
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
