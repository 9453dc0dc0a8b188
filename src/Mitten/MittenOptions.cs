using Microsoft.Extensions.Logging;

namespace Mitten;

/// <summary>How a <see cref="MittenSession{TState}"/> reports what it does (optional; see <see cref="MittenSession{TState}.Start(Func{TState}, IStateCodec{TState}, MittenOptions?)"/>).</summary>
public sealed class MittenOptions
{
    /// <summary>
    /// Where Mitten's messages go (rollbacks, refused requests, failed checkpoints, control
    /// directory warnings), under the category <see cref="MittenDiagnostics.LoggerCategory"/>.
    /// Null (the default): one line each on standard error, prefixed <c>mitten: </c>.
    /// A process that migrates away ends without disposing the factory: a provider that
    /// buffers may lose that process's last lines.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }
}
