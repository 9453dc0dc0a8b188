using System.Buffers.Binary;
using Mitten.Checkpoint.State;

namespace Mitten.Checkpoint.Communication;

/// <summary>
/// Messages taken off the network that the application has not received yet (patent 000's
/// received-message-list). A receive searches it before the network: the first message in
/// arrival order whose source and tag match (either may be a wildcard) is taken, which keeps
/// each sender's messages in the order they were sent. The list is part of a process's
/// communication state: it is saved with the process and, on the replacement, the saved list
/// goes in front of anything that arrived there meanwhile.
/// </summary>
internal sealed class ReceivedMessageList
{
    private const uint Magic = 0x4C4D524D; // "MRML"
    private const int MaxMessages = 1 << 24;
    private const int FormatVersion = 2;      // 2: trailer is the low 32 bits of the Checkpoint layer's checksum (1 was a CRC-32)
    private const byte ChecksumKind = (byte)'R';

    private readonly LinkedList<ReceivedMessage> messages = new();

    /// <summary>Number of messages held (a field of its own: a receive tests it on every call, with one load).</summary>
    public int Count { get; private set; }

    /// <summary>Total payload bytes held.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>Appends a message that arrived (the back of the list).</summary>
    public void Append(int source, int tag, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        messages.AddLast(new ReceivedMessage(source, tag, payload));
        Count++;
        PayloadBytes += payload.Length;
    }

    /// <summary>
    /// Removes and returns the oldest message matching <paramref name="source"/> and
    /// <paramref name="tag"/>; <paramref name="anySource"/>/<paramref name="anyTag"/> are the
    /// wildcard values that match everything.
    /// </summary>
    public bool TryTake(int source, int tag, int anySource, int anyTag, out ReceivedMessage message)
    {
        for (var node = messages.First; node is not null; node = node.Next)
        {
            ReceivedMessage m = node.Value;
            if ((source == anySource || m.Source == source) && (tag == anyTag || m.Tag == tag))
            {
                messages.Remove(node);
                Count--;
                PayloadBytes -= m.Payload.Length;
                message = m;
                return true;
            }
        }
        message = default;
        return false;
    }

    /// <summary>Whether a matching message is held (without taking it).</summary>
    public bool Contains(int source, int tag, int anySource, int anyTag)
    {
        foreach (ReceivedMessage m in messages)
        {
            if ((source == anySource || m.Source == source) && (tag == anyTag || m.Tag == tag))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Puts <paramref name="earlier"/>'s messages in front of this list's, in their order
    /// (initialize(): the forwarded list precedes what arrived at the new process).
    /// </summary>
    public void PrependAll(ReceivedMessageList earlier)
    {
        for (var node = earlier.messages.Last; node is not null; node = node.Previous)
        {
            messages.AddFirst(node.Value);
            Count++;
            PayloadBytes += node.Value.Payload.Length;
        }
    }

    /// <summary>The messages, front first.</summary>
    public IEnumerable<ReceivedMessage> Messages => messages;

    /// <summary>
    /// Writes the list in a byte-order-independent form (little-endian fields) with a
    /// checksum: count, then (source, tag, length, payload) per message, then CRC-32.
    /// </summary>
    public byte[] Serialize()
    {
        long size = 12 + messages.Sum(m => 12L + m.Payload.Length) + 4;
        if (size > int.MaxValue)
        {
            throw new InvalidOperationException($"the received-message-list holds {size} bytes, more than one buffer can carry");
        }
        byte[] buffer = new byte[size];
        Span<byte> span = buffer;
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], messages.Count);
        int offset = 12;
        foreach (ReceivedMessage m in messages)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], m.Source);
            BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 4)..], m.Tag);
            BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 8)..], m.Payload.Length);
            m.Payload.CopyTo(span[(offset + 12)..]);
            offset += 12 + m.Payload.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], (uint)Checksum.Of(span[..offset], ChecksumKind));
        return buffer;
    }

    /// <summary>Reads a list written by <see cref="Serialize"/>; a damaged stream raises <see cref="InvalidDataException"/>.</summary>
    public static ReceivedMessageList Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            throw new InvalidDataException("not a received-message-list (bad header or too short)");
        }
        if (BinaryPrimitives.ReadInt32LittleEndian(data[4..]) != FormatVersion)
        {
            throw new InvalidDataException($"received-message-list format version {BinaryPrimitives.ReadInt32LittleEndian(data[4..])} is not supported");
        }
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]);
        if ((uint)Checksum.Of(data[..^4], ChecksumKind) != expected)
        {
            throw new InvalidDataException("received-message-list checksum mismatch: the data is corrupted");
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        if (count < 0 || count > MaxMessages)
        {
            throw new InvalidDataException($"received-message-list claims {count} messages");
        }
        var list = new ReceivedMessageList();
        int offset = 12;
        int end = data.Length - 4;
        for (int i = 0; i < count; i++)
        {
            if (offset + 12 > end)
            {
                throw new InvalidDataException($"received-message-list truncated at message {i}");
            }
            int source = BinaryPrimitives.ReadInt32LittleEndian(data[offset..]);
            int tag = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 4)..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 8)..]);
            if (length < 0 || length > end - offset - 12)
            {
                throw new InvalidDataException($"received-message-list message {i} claims {length} bytes, more than remain");
            }
            list.Append(source, tag, data.Slice(offset + 12, length).ToArray());
            offset += 12 + length;
        }
        if (offset != end)
        {
            throw new InvalidDataException("received-message-list has trailing bytes");
        }
        return list;
    }
}

/// <summary>One message held in a <see cref="ReceivedMessageList"/>.</summary>
/// <param name="Source">Rank of the sender.</param>
/// <param name="Tag">Tag of the message.</param>
/// <param name="Payload">The message's bytes.</param>
internal readonly record struct ReceivedMessage(int Source, int Tag, byte[] Payload);
