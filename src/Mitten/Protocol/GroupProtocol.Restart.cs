using System.Buffers.Binary;
using System.Text;
using Mitten.Checkpoint.Communication;

namespace Mitten.Protocol;

/// <summary>
/// What a coordinated checkpoint keeps of the protocol besides the application's state, and
/// how a restart takes it back: the received-message-list of the session communicator and of
/// every derived one, and the superstep the group stopped at, so a restarted job continues
/// counting where the checkpoint was taken (its status files and later synchronizations see
/// the same supersteps as an uninterrupted run).
/// </summary>
/// <remarks>
/// A derived communicator's messages are saved under its <see cref="Channel.Key"/> (its place in
/// the tree of creations: parent, creation index, color), which the restarted program gives it
/// again when it makes its communicators in the same order (rule 10 of docs/MPI-SUPPORT.md); the
/// restart holds them until the communicator with that key is made, then hands them to it
/// (<see cref="ClaimCheckpointMessages"/>). Messages whose communicator is not made again stay
/// held: later checkpoints and a migration of the rank carry them along.
/// </remarks>
internal sealed partial class GroupProtocol
{
    /// <summary>"MTNC" and format 2: the superstep (8 bytes), the group's list, then the derived communicators' lists by key.</summary>
    private static ReadOnlySpan<byte> CheckpointMagic => "MTNC\u0002"u8;

    /// <summary>Format 1 (read only): the superstep, then the group's received-message-list.</summary>
    private static ReadOnlySpan<byte> CheckpointMagicFormat1 => "MTNC\u0001"u8;

    /// <summary>This process's protocol part of a checkpoint, taken where it stopped for it.</summary>
    private byte[] CheckpointCommunicationState()
    {
        var derivedLists = new List<(string Key, byte[] List)>();
        foreach (Channel channel in derived.Values)
        {
            if (channel.Received.Count > 0)
            {
                derivedLists.Add((channel.Key, channel.Received.Serialize()));
            }
        }
        foreach ((string key, byte[] list) in UnclaimedCheckpointMessages())
        {
            derivedLists.Add((key, list));
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(CheckpointMagic);
            writer.Write(Superstep); // little-endian
            byte[] received = Received.Serialize();
            writer.Write(received.Length);
            writer.Write(received);
            writer.Write(derivedLists.Count);
            foreach ((string key, byte[] list) in derivedLists)
            {
                writer.Write(key);
                writer.Write(list.Length);
                writer.Write(list);
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Restart (collective over the group): takes back the received-message-lists and the
    /// checkpoint's superstep (a checkpoint written before the superstep was kept restarts at 0),
    /// publishes the superstep before any rank can freeze it, and writes this rank's status.
    /// The derived communicators' lists wait for their communicators to be made again.
    /// </summary>
    internal void RestoreFromCheckpoint(byte[] communicationState)
    {
        ReadOnlySpan<byte> data = communicationState;
        long superstep = 0;
        if (data.StartsWith(CheckpointMagic))
        {
            (superstep, Received) = ReadFormat2(communicationState);
        }
        else
        {
            if (data.StartsWith(CheckpointMagicFormat1))
            {
                superstep = BinaryPrimitives.ReadInt64LittleEndian(data[CheckpointMagicFormat1.Length..]);
                data = data[(CheckpointMagicFormat1.Length + sizeof(long))..];
            }
            Received = ReceivedMessageList.Deserialize(data);
        }
        if (superstep < 0 || (superstep & SuperstepWindow.SyncFlag) != 0)
        {
            throw new InvalidDataException($"the checkpoint's superstep {superstep} is not valid");
        }
        Superstep = superstep;
        window.PublishAfterSynchronization(superstep);
        app.Barrier(); // every word holds the restored superstep before anyone advances or freezes one
        WriteStatus("running");
    }

    private (long Superstep, ReceivedMessageList Received) ReadFormat2(byte[] communicationState)
    {
        using var reader = new BinaryReader(new MemoryStream(communicationState, writable: false), Encoding.UTF8);
        try
        {
            reader.ReadBytes(CheckpointMagic.Length);
            long superstep = reader.ReadInt64();
            ReceivedMessageList received = ReceivedMessageList.Deserialize(reader.ReadBytes(reader.ReadInt32()));
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                string key = reader.ReadString();
                HoldCheckpointMessages(key, ReceivedMessageList.Deserialize(reader.ReadBytes(reader.ReadInt32())));
            }
            return (superstep, received);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the checkpoint's communication state is truncated", e);
        }
    }
}
