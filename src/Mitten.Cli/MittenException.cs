namespace Mitten.Runtime;

/// <summary>
/// An error the command reports as one line on stderr, with <see cref="ExitCode"/> as the
/// process exit code.
/// </summary>
internal class MittenException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A control file that does not follow docs/CONTROL.md; never acted on.</summary>
internal sealed class MalformedControlFileException(string message) : MittenException(message);

/// <summary>Exit codes of the operator commands (run and restart pass the program's through).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Error = 1;
    public const int RolledBack = 2;
    public const int Rejected = 3;
    public const int TimedOut = 4;
    public const int Failed = 2;
    public const int CannotLaunch = 127;
}
