using Mitten.GroupComm;

namespace Mitten;

/// <summary>
/// A receive got a message larger than its buffer (MPI_ERR_TRUNCATE). Raised the same way
/// whether the message came from MPI or from the messages drained during a migration. As in
/// MPI, the message is consumed: the buffer holds its first bytes (from MPI) or is left
/// unchanged (from the drained messages).
/// </summary>
public sealed class MessageTruncatedException : Exception
{
    /// <summary>Rank of the sender, or the receive's source (possibly <see cref="MittenCommunicator.AnySource"/>) when MPI does not say.</summary>
    public int SenderRank { get; }

    /// <summary>Tag of the message, or the receive's tag when MPI does not say.</summary>
    public int Tag { get; }

    /// <summary>Size of the message in bytes, or -1 when MPI does not say.</summary>
    public long MessageBytes { get; }

    /// <summary>Size of the receive buffer in bytes.</summary>
    public long BufferBytes { get; }

    internal MessageTruncatedException(int senderRank, int tag, long messageBytes, long bufferBytes, Exception? inner = null)
        : base(Describe(senderRank, tag, messageBytes, bufferBytes), inner)
    {
        SenderRank = senderRank;
        Tag = tag;
        MessageBytes = messageBytes;
        BufferBytes = bufferBytes;
    }

    private static string Describe(int sender, int tag, long messageBytes, long bufferBytes)
    {
        string from = sender == Mpi.AnySource ? "any source" : $"rank {sender}";
        string tagText = tag == Mpi.AnyTag ? "any tag" : $"tag {tag}";
        string size = messageBytes >= 0 ? $"has {messageBytes} bytes, more than" : "is larger than";
        return $"message truncated: the message received from {from} ({tagText}) {size} the {bufferBytes}-byte receive buffer (MPI_ERR_TRUNCATE)";
    }

    /// <summary>Whether <paramref name="e"/> is MPI reporting a truncated receive.</summary>
    internal static bool IsTruncation(MpiException e) => e.ErrorClass == MpiErrorClass.Truncate;
}
