namespace Mitten.Bench.IS;

/// <summary>The parameters of one IS problem class and its partial-verification table.</summary>
public sealed class IsClass
{
    /// <summary>Timed iterations (the original's MAX_ITERATIONS).</summary>
    public const int MaxIterations = 10;

    /// <summary>Partial-verification keys per iteration (TEST_ARRAY_SIZE).</summary>
    public const int TestArraySize = 5;

    private IsClass(char name, int totalKeysLog2, int maxKeyLog2, int bucketsLog2, long[] testIndices, long[] testRanks,
        int[] signs, int[] offsets)
    {
        Name = name;
        TotalKeysLog2 = totalKeysLog2;
        MaxKeyLog2 = maxKeyLog2;
        BucketsLog2 = bucketsLog2;
        this.testIndices = testIndices;
        this.testRanks = testRanks;
        this.signs = signs;
        this.offsets = offsets;
    }

    // Arrays, not IReadOnlyList: the timed iterations read them, and an interface call there
    // would go to a small runtime method that runs at Tier0 until it tiers up mid-run.
    private readonly long[] testIndices;
    private readonly long[] testRanks;
    private readonly int[] signs;
    private readonly int[] offsets;

    /// <summary>S, W, A, B or C.</summary>
    public char Name { get; }

    /// <summary>log2 of the total number of keys.</summary>
    public int TotalKeysLog2 { get; }

    /// <summary>log2 of the key range (keys are in [0, MaxKey)).</summary>
    public int MaxKeyLog2 { get; }

    /// <summary>log2 of the number of buckets.</summary>
    public int BucketsLog2 { get; }

    /// <summary>Total number of keys.</summary>
    public long TotalKeys => 1L << TotalKeysLog2;

    /// <summary>Key range.</summary>
    public int MaxKey => 1 << MaxKeyLog2;

    /// <summary>Number of buckets.</summary>
    public int Buckets => 1 << BucketsLog2;

    /// <summary>Global indices of the partial-verification keys.</summary>
    public IReadOnlyList<long> TestIndices => testIndices;

    /// <summary>Table values of the expected ranks.</summary>
    public IReadOnlyList<long> TestRanks => testRanks;

    /// <summary>Global index of partial-verification key <paramref name="i"/> (0..<see cref="TestArraySize"/>-1).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public long TestIndex(int i) => testIndices[i];

    /// <summary>The rank test key <paramref name="i"/> must have after iteration <paramref name="iteration"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public long ExpectedRank(int i, int iteration) => testRanks[i] + signs[i] * (iteration + offsets[i]);

    /// <summary>The class named <paramref name="name"/> (S, W, A, B, C; case-insensitive).</summary>
    public static IsClass Get(string name) => name.ToUpperInvariant() switch
    {
        "S" => new('S', 16, 11, 9, [48427, 17148, 23627, 62548, 4431], [0, 18, 346, 64917, 65463],
            [1, 1, 1, -1, -1], [0, 0, 0, 0, 0]),
        "W" => new('W', 20, 16, 10, [357773, 934767, 875723, 898999, 404505], [1249, 11698, 1039987, 1043896, 1048018],
            [1, 1, -1, -1, -1], [-2, -2, 0, 0, 0]),
        "A" => new('A', 23, 19, 10, [2112377, 662041, 5336171, 3642833, 4250760], [104, 17523, 123928, 8288932, 8388264],
            [1, 1, 1, -1, -1], [-1, -1, -1, -1, -1]),
        "B" => new('B', 25, 21, 10, [41869, 812306, 5102857, 18232239, 26860214], [33422937, 10244, 59149, 33135281, 99],
            [-1, 1, 1, -1, 1], [0, 0, 0, 0, 0]),
        "C" => new('C', 27, 23, 10, [44172927, 72999161, 74326391, 129606274, 21736814], [61147, 882988, 266290, 133997595, 133525895],
            [1, 1, 1, -1, -1], [0, 0, 0, 0, 0]),
        _ => throw new ArgumentException($"unknown IS class '{name}' (S, W, A, B or C)"),
    };
}
