using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mitten.Checkpoint.State;

// Writes or reads a fixed state (a large double[] block plus a small object graph), so a test can
// pass a state stream between processes that compute the checksum with different vector widths
// (DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0) and check that both agree on every byte.
//   StateStreamDriver write FILE | read FILE
// Prints "VECTOR256 true|false", then "CHECK name ok" or "CHECK name FAIL ...".
Console.WriteLine($"VECTOR256 {(Vector256.IsHardwareAccelerated ? "true" : "false")}");
if (args.Length != 2 || (args[0] != "write" && args[0] != "read"))
{
    Console.Error.WriteLine("usage: StateStreamDriver write|read FILE");
    return 2;
}
var types = new StateTypeRegistry().Register<Chain>();
Chain expected = Chain.Make();
if (args[0] == "write")
{
    using (var file = File.Create(args[1]))
    {
        StateSerializer.Save(expected, file, types);
    }
    Console.WriteLine("CHECK write ok");
    return 0;
}
try
{
    Chain back;
    using (var file = File.OpenRead(args[1]))
    {
        back = StateSerializer.Restore<Chain>(file, types);
    }
    string? problem = Chain.Compare(expected, back);
    Console.WriteLine(problem is null ? "CHECK read ok" : "CHECK read FAIL " + problem);
    return problem is null ? 0 : 1;
}
catch (StateFormatException e)
{
    Console.WriteLine("CHECK read FAIL " + e.Message);
    return 1;
}

/// <summary>The fixed state: a block of doubles and a short chain of nodes sharing one of them.</summary>
[Migratable]
public sealed partial class Chain
{
    public double[]? Block;
    public Chain? Next;
    public Chain? Shared;
    public int Value;

    public static Chain Make()
    {
        var block = new double[1_000_003];
        new Random(11).NextBytes(MemoryMarshal.AsBytes(block.AsSpan()));
        var shared = new Chain { Value = -1 };
        Chain head = shared;
        for (int i = 0; i < 100; i++)
        {
            head = new Chain { Value = i, Next = head, Shared = shared };
        }
        head.Block = block;
        return head;
    }

    /// <summary>Null when <paramref name="b"/> equals <paramref name="a"/> bit for bit and shape for shape.</summary>
    public static string? Compare(Chain a, Chain b)
    {
        if (!MemoryMarshal.AsBytes(a.Block.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Block.AsSpan())))
        {
            return "the block differs";
        }
        Chain? x = a, y = b;
        Chain? sharedB = b.Shared;
        while (x is not null && y is not null)
        {
            if (x.Value != y.Value || !ReferenceEquals(y.Shared, x.Shared is null ? null : sharedB))
            {
                return $"node {x.Value} differs";
            }
            x = x.Next;
            y = y.Next;
        }
        return x is null && y is null ? null : "the chains have different lengths";
    }
}
