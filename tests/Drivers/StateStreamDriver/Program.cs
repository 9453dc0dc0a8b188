using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mitten.Checkpoint.State;

// Writes or reads a fixed state (a large double[] block, a smaller long[] block and a small object
// graph), so a test can pass a state stream between processes that compute the checksum with
// different vector widths (DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0) and check that both
// agree on every byte. Each verb goes both ways a process can: through a file (Stream.Write/Read)
// and through a MemoryStream's buffer (the in-place copy-and-checksum path); both must agree.
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
    var memory = new MemoryStream(16 << 20);
    StateSerializer.Save(expected, memory, types);
    bool same = memory.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(args[1]));
    Console.WriteLine(same ? "CHECK write ok" : "CHECK write FAIL the memory stream holds other bytes than the file");
    return same ? 0 : 1;
}
try
{
    Chain back;
    using (var file = File.OpenRead(args[1]))
    {
        back = StateSerializer.Restore<Chain>(file, types);
    }
    string? problem = Chain.Compare(expected, back);
    if (problem is null)
    {
        byte[] bytes = File.ReadAllBytes(args[1]);
        back = StateSerializer.Restore<Chain>(new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true), types);
        problem = Chain.Compare(expected, back) is string p ? "from a memory stream: " + p : null;
    }
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
    public long[]? Small;
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
        head.Small = new long[100_003];                 // 800 KB: a block below the cache-bypass size
        new Random(12).NextBytes(MemoryMarshal.AsBytes(head.Small.AsSpan()));
        return head;
    }

    /// <summary>Null when <paramref name="b"/> equals <paramref name="a"/> bit for bit and shape for shape.</summary>
    public static string? Compare(Chain a, Chain b)
    {
        if (!MemoryMarshal.AsBytes(a.Block.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Block.AsSpan())))
        {
            return "the block differs";
        }
        if (!a.Small.AsSpan().SequenceEqual(b.Small))
        {
            return "the small block differs";
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
