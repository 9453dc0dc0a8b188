using System.Buffers.Binary;

namespace Mitten.Protocol;

/// <summary>
/// The application's section of the state stream (docs/PROTOCOL.md, "The state transfer"): the
/// codec's bytes in frames (a 4-byte length, then the bytes), a frame of length 0 ending the
/// section. The received-message-list follows the section, so the replacement's codec must not
/// read past the application's own bytes, whatever it reads ahead (a BinaryReader, a
/// decompressor); the frames end the section for it. Small writes are gathered into frames of up
/// to <see cref="GatherBytes"/>; larger ones go as one frame straight from the codec's memory.
/// </summary>
internal sealed class ApplicationStateWriter(StateSender sender) : WriteOnlyStream
{
    internal const int GatherBytes = 64 * 1024;
    private readonly byte[] gather = GC.AllocateUninitializedArray<byte>(GatherBytes + 4);
    private int gathered = 4; // room for the frame's length
    private long written;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length >= GatherBytes)
        {
            FlushGathered();
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, buffer.Length);
            sender.Write(length);
            sender.Write(buffer);
        }
        else
        {
            if (gathered + buffer.Length > gather.Length)
            {
                FlushGathered();
            }
            buffer.CopyTo(gather.AsSpan(gathered));
            gathered += buffer.Length;
        }
        written += buffer.Length;
    }

    /// <summary>Ends the section (the codec has returned).</summary>
    internal void End()
    {
        FlushGathered();
        Span<byte> end = stackalloc byte[4];
        end.Clear();
        sender.Write(end);
    }

    private void FlushGathered()
    {
        if (gathered > 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(gather, gathered - 4);
            sender.Write(gather.AsSpan(0, gathered));
            gathered = 4;
        }
    }

    protected override long BytesWritten => written;
}

/// <summary>The replacement's view of the application's section: the frames' bytes, then the end (0) at the end frame.</summary>
internal sealed class ApplicationStateReader(StateReceiver receiver) : ReadOnlyForwardStream, global::Mitten.Checkpoint.State.IPreparesReadDestination
{
    private int frameLeft;
    private bool ended;
    private long read;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        Span<byte> length = stackalloc byte[4];
        while (frameLeft == 0)
        {
            if (ended)
            {
                return 0;
            }
            receiver.ReadExactly(length);
            frameLeft = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (frameLeft < 0)
            {
                throw new InvalidDataException($"an application state frame of length {frameLeft}");
            }
            ended = frameLeft == 0;
        }
        int n = receiver.Read(buffer[..Math.Min(buffer.Length, frameLeft)]);
        if (n == 0)
        {
            throw new EndOfStreamException("the state stream ended inside the application's section");
        }
        frameLeft -= n;
        read += n;
        return n;
    }

    /// <summary>After the codec: skips what it left unread of the section, up to the end frame; returns how many bytes that was.</summary>
    internal long SkipToEnd() => StateTransfer.SkipRest(this);

    protected override long BytesRead => read;

    void global::Mitten.Checkpoint.State.IPreparesReadDestination.PrepareDestination(Span<byte> destination) =>
        ((global::Mitten.Checkpoint.State.IPreparesReadDestination)receiver).PrepareDestination(destination);
}
