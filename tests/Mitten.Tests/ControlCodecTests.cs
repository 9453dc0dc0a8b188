using Mitten.Protocol.Messages;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>Every control message of the protocol survives its one encoding (no MPI needed).</summary>
public class ControlCodecTests
{
    public static TheoryData<string> Messages() => new(AllMessages().Select(m => m.GetType().Name + ":" + m));

    private static IEnumerable<ControlMessage> AllMessages() =>
    [
        new MigrationCommand(0x0000_0102_0304_0506, 3, 41, SyncMode.Migration, "node7.example.org"),
        new MigrationCommand(17, 0, 9, SyncMode.Checkpoint, "/tmp/ckpt dir/\"quoted\" ü"),
        new SyncReport(5, ReportKind.Blocked, 2, BlockedOperation.Send, 1234567890123, 77, 3),
        new SyncReport(5, ReportKind.Arrived, -1, BlockedOperation.None, 0, 0, 0),
        new SyncReport(5, ReportKind.Finishing, -1, BlockedOperation.None, 8, 9, 0),
        new WakeRequest(6, 4),
        new Wake(6),
        new SyncEnd(7, true, ""),
        new SyncEnd(7, false, "rank 2 is blocked after 3 collective operations"),
        new GroupDecision(8, DecisionKind.Commit, "2953052161.0:1977542529"),
        new GroupDecision(8, DecisionKind.RolledBackAfterSpawn, "the replacement died"),
        new GroupDecision(8, DecisionKind.RolledBackBeforeSpawn, ""),
        new Resumed(9),
        new ForwardedRequest(2, "h2", "m20261201-ab12"),
        new ForwardedRequest(0, null, "api-0123456789ab"),
        new ControlMarker(0),
        new ControlMarker(long.MaxValue),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Each_message_decodes_to_what_was_encoded(string name)
    {
        ControlMessage message = AllMessages().Single(m => m.GetType().Name + ":" + m == name);
        long[] header = new long[ControlCodec.HeaderLength];
        byte[] text = ControlCodec.Encode(message, header);
        Assert.Equal(text.Length, ControlCodec.TextLength(header));
        ControlMessage decoded = ControlCodec.Decode(message.Tag, header, text);
        Assert.Equal(message, decoded);
    }

    [Fact]
    public void Every_kind_has_its_own_tag_below_the_text_offset()
    {
        var tags = AllMessages().Select(m => (m.GetType(), m.Tag)).Distinct().ToList();
        Assert.Equal(tags.Count, tags.Select(t => t.Tag).Distinct().Count());
        Assert.All(tags, t => Assert.InRange(t.Tag, 1, ControlTag.Payload - 1));
    }

    [Fact]
    public void A_header_whose_fields_are_out_of_range_is_refused_with_the_reason()
    {
        long[] header = new long[ControlCodec.HeaderLength];
        ControlCodec.Encode(new SyncReport(1, ReportKind.Blocked, 2, BlockedOperation.Receive, 0, 0, 0), header);
        header[1] = 99; // no such report kind
        var e = Assert.Throws<InvalidDataException>(() => ControlCodec.Decode(ControlTag.Report, header, []));
        Assert.Contains("ReportKind", e.Message);

        ControlCodec.Encode(new Wake(1), header);
        Assert.Throws<InvalidDataException>(() => ControlCodec.Decode(ControlTag.Wake, header, [1, 2])); // text the header did not announce
        Assert.Throws<InvalidDataException>(() => ControlCodec.Decode(55, header, []));                  // not a control tag
        header[ControlCodec.HeaderLength - 1] = -1;
        Assert.Throws<InvalidDataException>(() => ControlCodec.TextLength(header));
    }
}
