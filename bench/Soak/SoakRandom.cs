namespace Mitten.Bench.Soak;

/// <summary>
/// SplitMix64: a small deterministic generator, identical on every rank and in every process
/// (replacements included), so all ranks derive the same plan from the same seed.
/// </summary>
internal struct SoakRandom(ulong seed)
{
    private ulong state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>A value in [0, bound).</summary>
    public int Next(int bound) => bound <= 1 ? 0 : (int)(Next() % (ulong)bound);

    /// <summary>A value in [low, high].</summary>
    public int Between(int low, int high) => low + Next(high - low + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => (Next() >> 11) * (1.0 / (1UL << 53)) < p;

    /// <summary>The SplitMix64 finalizer.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A hash of several values (order matters).</summary>
    public static ulong Hash(ulong a, ulong b) => Mix(a * 0x9E3779B97F4A7C15UL ^ Mix(b + 0x632BE59BD9B4E019UL));

    /// <summary>A hash of several values (order matters).</summary>
    public static ulong Hash(ulong a, ulong b, ulong c) => Hash(Hash(a, b), c);

    /// <summary>A hash of several values (order matters).</summary>
    public static ulong Hash(ulong a, ulong b, ulong c, ulong d) => Hash(Hash(Hash(a, b), c), d);
}
