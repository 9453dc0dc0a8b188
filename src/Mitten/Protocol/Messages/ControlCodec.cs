using System.Text;

namespace Mitten.Protocol.Messages;

/// <summary>
/// The one encoding of every <see cref="ControlMessage"/>: a header of <see cref="HeaderLength"/>
/// longs (the fields in order, the text's byte length in the last slot) and, when the text is not
/// empty, the UTF-8 text as a second message with the tag + <see cref="ControlTag.Payload"/>.
/// </summary>
internal static class ControlCodec
{
    internal const int HeaderLength = 8;
    private const int TextLengthSlot = HeaderLength - 1;

    /// <summary>Writes <paramref name="message"/>'s fields into <paramref name="header"/> and returns its text (empty when none).</summary>
    internal static byte[] Encode(ControlMessage message, Span<long> header)
    {
        if (header.Length != HeaderLength)
        {
            throw new ArgumentException($"a control header has {HeaderLength} longs", nameof(header));
        }
        header.Clear();
        string text = "";
        switch (message)
        {
            case MigrationCommand m:
                (header[0], header[1], header[2], header[3]) = (m.SyncId, m.Leader, m.GlobalSuperstep, (long)m.Mode);
                text = m.Target;
                break;
            case SyncReport r:
                (header[0], header[1], header[2], header[3]) = (r.SyncId, (long)r.Kind, r.Peer, (long)r.Operation);
                (header[4], header[5], header[6]) = (r.Collectives, r.Superstep, r.OutstandingReceives);
                text = r.Channels;
                break;
            case WakeRequest w:
                (header[0], header[1]) = (w.SyncId, w.Sleeper);
                break;
            case Wake w:
                header[0] = w.SyncId;
                break;
            case SyncEnd e:
                (header[0], header[1]) = (e.SyncId, e.Proceed ? 1 : 0);
                text = e.Reason;
                break;
            case GroupDecision d:
                (header[0], header[1]) = (d.SyncId, (long)d.Kind);
                text = d.Text;
                break;
            case Resumed r:
                header[0] = r.SyncId;
                break;
            case ForwardedRequest q:
                (header[0], header[1]) = (q.Rank, q.Host is null ? 0 : 1);
                text = (q.Host ?? "") + "\n" + q.RequestId;
                break;
            case ControlMarker c:
                header[0] = c.SyncId;
                break;
            default:
                throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message));
        }
        byte[] bytes = text.Length == 0 ? [] : Encoding.UTF8.GetBytes(text);
        header[TextLengthSlot] = bytes.Length;
        return bytes;
    }

    /// <summary>The length of the text that follows <paramref name="header"/> (0: none follows).</summary>
    internal static int TextLength(ReadOnlySpan<long> header)
    {
        long length = header[TextLengthSlot];
        if (length is < 0 or > 1 << 20)
        {
            throw new InvalidDataException($"control header announces {length} bytes of text");
        }
        return (int)length;
    }

    /// <summary>Reads the message of kind <paramref name="tag"/> from its header and text.</summary>
    /// <exception cref="InvalidDataException">The tag is not a control tag or a field is out of range.</exception>
    internal static ControlMessage Decode(int tag, ReadOnlySpan<long> header, ReadOnlySpan<byte> textBytes)
    {
        if (header.Length != HeaderLength || TextLength(header) != textBytes.Length)
        {
            throw new InvalidDataException($"control message {tag}: header and text do not match");
        }
        string text = textBytes.Length == 0 ? "" : Encoding.UTF8.GetString(textBytes);
        return tag switch
        {
            ControlTag.MigCmd => new MigrationCommand(header[0], Int(header[1]), header[2], Enum<SyncMode>(header[3]), text),
            ControlTag.Report => new SyncReport(header[0], Enum<ReportKind>(header[1]), Int(header[2]), Enum<BlockedOperation>(header[3]),
                header[4], header[5], Int(header[6]), text),
            ControlTag.MigWake => new WakeRequest(header[0], Int(header[1])),
            ControlTag.Wake => new Wake(header[0]),
            ControlTag.MigEnd => new SyncEnd(header[0], header[1] == 1, text),
            ControlTag.Decision => new GroupDecision(header[0], Enum<DecisionKind>(header[1]), text),
            ControlTag.Resumed => new Resumed(header[0]),
            ControlTag.Request => DecodeRequest(header, text),
            ControlTag.ChannelMarker => new ControlMarker(header[0]),
            _ => throw new InvalidDataException($"tag {tag} is not a control message"),
        };
    }

    private static ForwardedRequest DecodeRequest(ReadOnlySpan<long> header, string text)
    {
        int split = text.IndexOf('\n');
        if (split < 0)
        {
            throw new InvalidDataException("a forwarded request's text has no request id");
        }
        string host = text[..split];
        return new ForwardedRequest(Int(header[0]), header[1] == 0 ? null : host, text[(split + 1)..]);
    }

    private static int Int(long value) =>
        value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new InvalidDataException($"control field {value} is out of range");

    private static T Enum<T>(long value) where T : struct, Enum =>
        System.Enum.IsDefined(typeof(T), value) ? (T)System.Enum.ToObject(typeof(T), value)
            : throw new InvalidDataException($"{value} is not a {typeof(T).Name}");
}
