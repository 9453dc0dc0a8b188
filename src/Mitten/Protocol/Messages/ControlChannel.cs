using Mitten.GroupComm;

namespace Mitten.Protocol.Messages;

/// <summary>
/// The control communicator (a duplicate of the group's, so protocol traffic never matches an
/// application receive) with typed sends and receives through <see cref="ControlCodec"/>.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private readonly long[] header = new long[ControlCodec.HeaderLength];

    /// <summary>For each group rank its rank in <see cref="Communicator"/>, and back; null when they are the same.</summary>
    private readonly int[]? toCommunicator, toGroup;

    internal ControlChannel(Communicator communicator) => Communicator = communicator;

    /// <summary>
    /// A control channel over <paramref name="communicator"/>, whose rank for group rank g is
    /// <paramref name="communicatorRanks"/>[g] (the lean commit keeps the merged communicator of
    /// the connect, where the replacement is last: Steps/LeanCommit.cs). Every send and receive
    /// speaks group ranks.
    /// </summary>
    internal ControlChannel(Communicator communicator, int[] communicatorRanks)
    {
        Communicator = communicator;
        toCommunicator = communicatorRanks;
        toGroup = new int[communicatorRanks.Length];
        for (int rank = 0; rank < communicatorRanks.Length; rank++)
        {
            toGroup[communicatorRanks[rank]] = rank;
        }
    }

    /// <summary>The communicator; its ranks are group ranks unless made with a translation (only sums over it, or wildcards, then).</summary>
    internal Communicator Communicator { get; }

    private int ToCommunicator(int groupRank) => toCommunicator is null || groupRank < 0 ? groupRank : toCommunicator[groupRank];

    private int ToGroup(int communicatorRank) => toGroup is null || communicatorRank < 0 ? communicatorRank : toGroup[communicatorRank];

    internal void Send(ControlMessage message, int destination)
    {
        byte[] text = ControlCodec.Encode(message, header);
        destination = ToCommunicator(destination);
        Communicator.Send<long>(header, destination, message.Tag);
        if (text.Length > 0)
        {
            Communicator.Send<byte>(text, destination, message.Tag + ControlTag.Payload);
        }
    }

    /// <summary>Sends <paramref name="message"/> to every rank but <paramref name="except"/>.</summary>
    internal void SendToAllBut(ControlMessage message, int except)
    {
        for (int rank = 0; rank < Communicator.Size; rank++)
        {
            if (rank != except)
            {
                Send(message, rank);
            }
        }
    }

    /// <summary>Receives the next control message from anyone, if one has arrived.</summary>
    internal bool TryReceive(out ControlMessage message, out int source) => TryReceive(Mpi.AnySource, Mpi.AnyTag, out message, out source);

    /// <summary>Receives the next control message from <paramref name="from"/> with <paramref name="tag"/> (wildcards allowed), if one has arrived.</summary>
    internal bool TryReceive(int from, int tag, out ControlMessage message, out int source)
    {
        if (Communicator.Iprobe(ToCommunicator(from), tag, out Status status))
        {
            if (status.Tag >= ControlTag.Payload)
            {
                // A header is always taken together with its text, so a text alone means a broken peer.
                throw new InvalidDataException($"a control text (tag {status.Tag}) from rank {status.Source} arrived without its header");
            }
            Communicator.Recv<long>(header, status.Source, status.Tag);
            source = ToGroup(status.Source);
            int length = ControlCodec.TextLength(header);
            byte[] text = length == 0 ? [] : new byte[length];
            if (length > 0)
            {
                Communicator.Recv<byte>(text, status.Source, status.Tag + ControlTag.Payload);
            }
            message = ControlCodec.Decode(status.Tag, header, text);
            return true;
        }
        message = null!;
        source = -1;
        return false;
    }

    public void Dispose() => Communicator.Dispose();
}
