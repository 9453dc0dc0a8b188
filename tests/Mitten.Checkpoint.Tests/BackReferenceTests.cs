using Mitten.Checkpoint.State;
using Xunit;

namespace Mitten.Tests.Checkpoint;

/// <summary>A key whose hash and equality depend on a reference field.</summary>
[Migratable]
public partial class PartnerKey
{
    public int Id;
    public PartnerKey? Partner;

    public override int GetHashCode() => HashCode.Combine(Id, Partner?.Id ?? -1);

    public override bool Equals(object? obj) => obj is PartnerKey other && other.Id == Id && other.Partner?.Id == Partner?.Id;
}

/// <summary>Reference fields of several declared types, one of them read-only.</summary>
[Migratable]
public partial class Holder
{
    public readonly Ring? Fixed;
    public object? Any;
    public IList<int>? Numbers;
    public Ring[]? Rings;
    public string? Name;

    public Holder()
    {
    }

    public Holder(Ring? fixedRing) => Fixed = fixedRing;
}

/// <summary>
/// Generated restore code reads reference fields of classes through <see cref="StateReader.ReadField{T}"/>,
/// which sets a reference back to an earlier object only once the whole graph is read. These tests
/// check what must not change because of that: identity, types, the checks, and the order relative
/// to dictionaries (whose keys must be complete when they are hashed).
/// </summary>
public class BackReferenceTests
{
    /// <summary>Hand-written: two object fields, saved as they are.</summary>
    public sealed class TwoObjects : IMigratable
    {
        public object? First;
        public object? Second;

        public void SaveState(StateWriter writer)
        {
            writer.Write(First);
            writer.Write(Second);
        }

        public void RestoreState(StateReader reader)
        {
            reader.ReadField(this, ref First);
            reader.ReadField(this, ref Second);
        }
    }

    /// <summary>Hand-written, the same fields, but the second declared as a <see cref="PartnerKey"/>.</summary>
    public sealed class RingThenKey : IMigratable
    {
        public Ring? First;
        public PartnerKey? Second;

        public void SaveState(StateWriter writer)
        {
            writer.Write(First);
            writer.Write(Second);
        }

        public void RestoreState(StateReader reader)
        {
            reader.ReadField(this, ref First);
            reader.ReadField(this, ref Second);
        }
    }

    private static T RoundTrip<T>(T value, StateTypeRegistry types) => StateRoundTrip.Of(value, types);

    [Fact]
    public void References_back_to_earlier_objects_keep_identity_through_fields_of_every_declared_type()
    {
        var types = new StateTypeRegistry().Register<Ring>().Register<Holder>();
        // A chain longer than the inline depth, so some fields are read from the reader's work
        // stack; every holder points back at rings, arrays, lists and strings met earlier.
        var rings = new Ring[200];
        for (int i = 0; i < rings.Length; i++)
        {
            rings[i] = new Ring { Id = i, Next = i > 0 ? rings[i - 1] : null };
        }
        var numbers = new List<int> { 4, 5, 6 };
        string name = "shared name";
        var holders = new List<object>();
        for (int i = 0; i < 150; i++)
        {
            holders.Add(new Holder(rings[(i * 7) % rings.Length])
            {
                Any = i % 3 == 0 ? rings[i] : i % 3 == 1 ? numbers : name,
                Numbers = numbers,
                Rings = i % 2 == 0 ? rings : null,
                Name = name,
            });
            rings[i].Anything = holders[^1];
        }
        holders.Add(rings[^1]);

        List<object> back = RoundTrip(holders, types);

        var restoredRings = new Ring[rings.Length];
        for (Ring? r = (Ring)back[^1]; r is not null; r = r.Next)
        {
            restoredRings[r.Id] = r;
        }
        Assert.All(restoredRings, Assert.NotNull);
        var first = (Holder)back[0];
        Assert.Same(first.Numbers, ((Holder)back[1]).Any);
        Assert.Equal([4, 5, 6], first.Numbers!);
        for (int i = 0; i < 150; i++)
        {
            var h = (Holder)back[i];
            Assert.Same(restoredRings[(i * 7) % rings.Length], h.Fixed);
            Assert.Same(restoredRings[i].Anything, h);
            object expectedAny = i % 3 == 0 ? restoredRings[i] : i % 3 == 1 ? first.Numbers! : first.Name!;
            Assert.Same(expectedAny, h.Any);
            Assert.Same(first.Numbers, h.Numbers);
            Assert.Same(first.Name, h.Name);
            if (i % 2 == 0)
            {
                Assert.Same(((Holder)back[0]).Rings, h.Rings);
                Assert.Equal(restoredRings, h.Rings!);
            }
            else
            {
                Assert.Null(h.Rings);
            }
        }
    }

    [Fact]
    public void Dictionary_keys_are_hashed_after_their_back_references_are_set()
    {
        var types = new StateTypeRegistry().Register<PartnerKey>();
        var a = new PartnerKey { Id = 1 };
        var b = new PartnerKey { Id = 2, Partner = a };   // a is written first, so b.Partner is a reference back
        var c = new PartnerKey { Id = 3, Partner = b };
        var map = new Dictionary<PartnerKey, int> { [b] = 20, [c] = 30 };
        var root = new List<object> { a, b, c, map };

        List<object> back = RoundTrip(root, types);

        var map2 = (Dictionary<PartnerKey, int>)back[3];
        var b2 = (PartnerKey)back[1];
        var c2 = (PartnerKey)back[2];
        Assert.Same(back[0], b2.Partner);
        Assert.Same(b2, c2.Partner);
        Assert.True(map2.TryGetValue(b2, out int vb));
        Assert.Equal(20, vb);
        Assert.True(map2.TryGetValue(c2, out int vc));
        Assert.Equal(30, vc);
    }

    [Fact]
    public void A_reference_back_to_an_object_of_another_type_is_a_schema_mismatch()
    {
        // Written: a Ring in both fields (the second a reference back to the first). Read by a
        // program whose type (same name, unchecked schema) declares the second field a PartnerKey.
        var ring = new Ring { Id = 5 };
        var writerTypes = new StateTypeRegistry().Register<Ring>().Register<PartnerKey>().Register<TwoObjects>("pair");
        var readerTypes = new StateTypeRegistry().Register<Ring>().Register<PartnerKey>().Register<RingThenKey>("pair");
        var stream = new MemoryStream();
        StateSerializer.Save(new TwoObjects { First = ring, Second = ring }, stream, writerTypes);

        stream.Position = 0;
        var e = Assert.Throws<StateFormatException>(() => StateSerializer.Restore<RingThenKey>(stream, readerTypes));
        Assert.Equal(StateProblem.SchemaMismatch, e.Problem);
        Assert.Contains(typeof(PartnerKey).FullName!, e.Message);

        // The same stream read with matching declared types restores both fields as one object.
        stream.Position = 0;
        TwoObjects same = StateSerializer.Restore<TwoObjects>(stream, new StateTypeRegistry().Register<Ring>().Register<PartnerKey>().Register<TwoObjects>("pair"));
        Assert.Same(same.First, same.Second);
        Assert.Equal(5, ((Ring)same.First!).Id);
    }
}
