using System.Buffers.Binary;
using Mitten.Checkpoint.Communication;

namespace Mitten.Protocol;

/// <summary>
/// What a coordinated checkpoint keeps of the protocol besides the application's state, and
/// how a restart takes it back: the received-message-list and the superstep the group stopped
/// at, so a restarted job continues counting where the checkpoint was taken (its status files
/// and later synchronizations see the same supersteps as an uninterrupted run).
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>"MTNC" and format 1: the superstep (8 bytes, little-endian), then the received-message-list.</summary>
    private static ReadOnlySpan<byte> CheckpointMagic => "MTNC\u0001"u8;

    /// <summary>This process's protocol part of a checkpoint, taken where it stopped for it.</summary>
    private byte[] CheckpointCommunicationState()
    {
        byte[] received = Received.Serialize();
        byte[] data = new byte[CheckpointMagic.Length + sizeof(long) + received.Length];
        CheckpointMagic.CopyTo(data);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(CheckpointMagic.Length), Superstep);
        received.CopyTo(data.AsSpan(CheckpointMagic.Length + sizeof(long)));
        return data;
    }

    /// <summary>
    /// Restart (collective over the group): takes back the received-message-list and the
    /// checkpoint's superstep (a checkpoint written before the superstep was kept restarts at 0),
    /// publishes the superstep before any rank can freeze it, and writes this rank's status.
    /// </summary>
    internal void RestoreFromCheckpoint(byte[] communicationState)
    {
        ReadOnlySpan<byte> data = communicationState;
        long superstep = 0;
        if (data.StartsWith(CheckpointMagic))
        {
            superstep = BinaryPrimitives.ReadInt64LittleEndian(data[CheckpointMagic.Length..]);
            data = data[(CheckpointMagic.Length + sizeof(long))..];
            if (superstep < 0 || (superstep & SuperstepWindow.SyncFlag) != 0)
            {
                throw new InvalidDataException($"the checkpoint's superstep {superstep} is not valid");
            }
        }
        Received = ReceivedMessageList.Deserialize(data);
        Superstep = superstep;
        window.PublishAfterSynchronization(superstep);
        app.Barrier(); // every word holds the restored superstep before anyone advances or freezes one
        WriteStatus("running");
    }
}
