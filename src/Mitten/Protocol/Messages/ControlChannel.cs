using Mitten.GroupComm;

namespace Mitten.Protocol.Messages;

/// <summary>
/// The control communicator (a duplicate of the group's, so protocol traffic never matches an
/// application receive) with typed sends and receives through <see cref="ControlCodec"/>.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private readonly long[] header = new long[ControlCodec.HeaderLength];

    internal ControlChannel(Communicator communicator) => Communicator = communicator;

    internal Communicator Communicator { get; }

    internal void Send(ControlMessage message, int destination)
    {
        byte[] text = ControlCodec.Encode(message, header);
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
        if (Communicator.Iprobe(from, tag, out Status status))
        {
            if (status.Tag >= ControlTag.Payload)
            {
                // A header is always taken together with its text, so a text alone means a broken peer.
                throw new InvalidDataException($"a control text (tag {status.Tag}) from rank {status.Source} arrived without its header");
            }
            Communicator.Recv<long>(header, status.Source, status.Tag);
            source = status.Source;
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
