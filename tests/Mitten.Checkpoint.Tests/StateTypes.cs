using Mitten.Checkpoint.State;

namespace Mitten.Tests.Checkpoint;

public enum Color : short { Red = 1, Green = 2, Blue = -3 }

[Migratable]
public partial class TreeNode
{
    public int Value;
    public TreeNode? Left;
    public TreeNode? Right;
}

[Migratable]
public partial struct Sample
{
    public double X;
    public int Y;
    public Color Color;
    public string? Label;
    public TreeNode? Ref;
}

[Migratable]
public partial class Everything
{
    public bool Flag;
    public byte B;
    public sbyte SB;
    public char C;
    public short S;
    public ushort US;
    public int I;
    public uint UI;
    public long L;
    public ulong UL;
    public float F;
    public double D;
    public decimal M;
    public nint N;
    public string? Text;
    public string? NullText;
    public Color Color;
    public Sample Inline;
    public int[]? Ints;
    public double[,]? Matrix;
    public int[,,]? Cube;
    public int[][]? Jagged;
    public Sample[]? Samples;
    public TreeNode?[]? Nodes;
    public List<int>? IntList;
    public List<string?>? Strings;
    public List<TreeNode>? NodeList;
    public Dictionary<string, int>? Counts;
    public Dictionary<string, int>? CountsIgnoreCase;
    public Dictionary<int, List<TreeNode>>? Buckets;
    public Dictionary<TreeNode, string>? ByNode;
    public object? Boxed;
    public List<object?>? Mixed;
    public ArraySegment<double> Segment;
    public Memory<double> Window;
    public ReadOnlyMemory<int> ReadOnlyWindow;
    public double[]? Backing;
    public Memory<byte> Empty;

    // Fields the generator must also restore.
    public readonly int ReadOnlyField;
    public int InitOnly { get; init; }
    public string GetOnly { get; } = "";
    public int Settable { get; set; }
    [NotMigrated] public int Skipped;

    public Everything() { }

    public Everything(int readOnlyField, string getOnly)
    {
        ReadOnlyField = readOnlyField;
        GetOnly = getOnly;
    }
}

[Migratable]
public partial class Ring
{
    public int Id;
    public Ring? Next;
    public object? Anything;
}

/// <summary>Two versions of one saved type, registered under the same name by "two programs".</summary>
[Migratable]
public partial class AccountV1
{
    public string? Owner;
    public long Balance;
}

[Migratable]
public partial class AccountV2
{
    public string? Owner;
    public long Balance;
    public int Currency;
}

/// <summary>An immutable type saved with hand-written functions (no generator).</summary>
public sealed class Point(int x, int y, Point? previous)
{
    public int X { get; } = x;
    public int Y { get; } = y;
    public Point? Previous { get; } = previous;
}

public readonly struct Money(long cents, string currency)
{
    public long Cents { get; } = cents;
    public string Currency { get; } = currency;
}

public static class Registries
{
    public static StateTypeRegistry All() => new StateTypeRegistry()
        .Register<TreeNode>()
        .Register<Sample>()
        .Register<Color>()
        .Register<Everything>()
        .Register<Ring>()
        .Register<Point>((w, p) => { w.Write(p.X); w.Write(p.Y); w.Write(p.Previous); }, r => new Point(r.Read<int>(), r.Read<int>(), r.Read<Point?>()))
        .Register<Money>((w, m) => { w.Write(m.Cents); w.Write(m.Currency); }, r => new Money(r.Read<long>(), r.Read<string>()));
}
