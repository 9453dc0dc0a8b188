namespace Mitten.Checkpoint.State;

/// <summary>What is wrong with a state stream that cannot be restored.</summary>
public enum StateProblem
{
    /// <summary>The stream ends before its end marker.</summary>
    Truncated,
    /// <summary>A checksum does not match, or a structure in the stream is impossible.</summary>
    Corrupted,
    /// <summary>The stream is not a state stream, or was written in a format version this reader does not know.</summary>
    UnsupportedFormat,
    /// <summary>The stream names a type the reading program did not register.</summary>
    UnregisteredType,
    /// <summary>A type's saved fields differ from the reading program's, or the root type differs from the one asked for.</summary>
    SchemaMismatch,
    /// <summary>A length or count in the stream is larger than the stream or the allowed allocation.</summary>
    LimitExceeded,
}

/// <summary>
/// A state stream cannot be restored. Nothing of the partly restored graph is handed to the application.
/// </summary>
public sealed class StateFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateFormatException(StateProblem problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Problem = problem;
    }

    /// <summary>The kind of problem.</summary>
    public StateProblem Problem { get; }
}
