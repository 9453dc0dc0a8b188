using Mitten.Checkpoint.State;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>
/// Format 3 writes a deferred object's contents where the object is met (up to a nesting depth,
/// deeper ones go to the work stack) and the reader follows the same rule; marks carry the save's
/// epoch. These tests cover the places where the two orders meet.
/// </summary>
public class InlineContentsTests
{
    /// <summary>Built by its restore function from its parts (so it is written whole where it is met).</summary>
    public sealed class Box
    {
        public Ring? Inside;
    }

    /// <summary>Writes its node and then a copy of that node made during the save (its mark included).</summary>
    public sealed class Cloner
    {
        public CopyableNode? Node;
    }

    private static T RoundTrip<T>(T value, StateTypeRegistry types) => StateRoundTrip.Of(value, types);

    [Fact]
    public void A_cycle_from_a_hand_registered_object_through_a_migratable_one_back_to_it_round_trips()
    {
        // Box -> Ring -> Box: the Ring's contents must not be read while the Box is still being
        // built by its restore function, so they are deferred rather than written inline.
        var types = new StateTypeRegistry()
            .Register<Ring>()
            .Register<Box>((w, b) => w.Write(b.Inside), r => new Box { Inside = r.Read<Ring?>() });
        var ring = new Ring { Id = 7 };
        var box = new Box { Inside = ring };
        ring.Anything = box;
        var list = new List<object> { box, ring };
        List<object> back = RoundTrip(list, types);
        var b = (Box)back[0];
        Assert.Same(back[1], b.Inside);
        Assert.Same(b, b.Inside!.Anything);
        Assert.Equal(7, b.Inside.Id);
    }

    [Fact]
    public void Deep_and_wide_graphs_with_sharing_keep_their_shape_across_the_inline_depth()
    {
        // A chain of 300 nodes (deeper than the inline depth), each also pointing at an earlier
        // node and at a shared array, so inline and stacked contents interleave.
        var types = new StateTypeRegistry().Register<Ring>();
        var nodes = new List<Ring>();
        var shared = new int[] { 1, 2, 3 };
        Ring? next = null;
        for (int i = 299; i >= 0; i--)
        {
            var n = new Ring { Id = i, Next = next };
            nodes.Insert(0, n);
            next = n;
        }
        for (int i = 0; i < nodes.Count; i++)
        {
            nodes[i].Anything = i % 3 == 0 ? shared : nodes[(i * 7919) % nodes.Count];
        }
        var root = new List<object> { nodes[150], nodes[0], shared };
        List<object> back = RoundTrip(root, types);
        var restored = new List<Ring>();
        for (Ring? p = (Ring)back[1]; p is not null; p = p.Next)
        {
            restored.Add(p);
        }
        Assert.Equal(300, restored.Count);
        Assert.Same(restored[150], back[0]);
        for (int i = 0; i < restored.Count; i++)
        {
            Assert.Equal(i, restored[i].Id);
            if (i % 3 == 0)
            {
                Assert.Same(back[2], restored[i].Anything);
            }
            else
            {
                Assert.Same(restored[(i * 7919) % restored.Count], restored[i].Anything);
            }
        }
    }

    [Fact]
    public void An_object_copied_with_its_mark_while_the_save_runs_fails_the_save_and_no_reader_accepts_the_stream()
    {
        var types = new StateTypeRegistry()
            .Register<CopyableNode>()
            .Register<Cloner>((w, c) => { w.Write(c.Node); w.Write(c.Node!.Copy()); }, r => new Cloner { Node = r.Read<CopyableNode?>() });
        var stream = new MemoryStream();
        var e = Assert.Throws<InvalidOperationException>(() => StateSerializer.Save(new Cloner { Node = new CopyableNode { Value = 1 } }, stream, types));
        Assert.Contains("copied while the save was running", e.Message);
        stream.Position = 0;
        Assert.Throws<StateFormatException>(() => StateSerializer.Restore<Cloner>(stream, types));
    }

    [Fact]
    public void The_same_objects_saved_many_times_in_a_row_keep_their_identity_every_time()
    {
        // Every save leaves marks of its own epoch; the next save must not trust them.
        var types = new StateTypeRegistry().Register<Ring>();
        var a = new Ring { Id = 1 };
        var b = new Ring { Id = 2, Next = a, Anything = a };
        for (int round = 0; round < 5; round++)
        {
            var list = round % 2 == 0 ? new List<Ring> { b, a } : new List<Ring> { a, new Ring { Id = 3, Next = b }, b };
            List<Ring> back = RoundTrip(list, types);
            Ring rb = back.Single(r => r.Id == 2);
            Ring ra = back.Single(r => r.Id == 1);
            Assert.Same(ra, rb.Next);
            Assert.Same(ra, rb.Anything);
        }
    }
}
