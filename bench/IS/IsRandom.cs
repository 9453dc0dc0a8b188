namespace Mitten.Bench.IS;

/// <summary>
/// The NPB linear congruential generator x(k+1) = a * x(k) mod 2^46, a = 5^13, returning
/// x(k+1) * 2^-46. Computed exactly in 64-bit integers: the low 46 bits of a product depend
/// only on its low 64 bits, so the numbers equal the original's double-precision ones.
/// </summary>
internal static class IsRandom
{
    internal const ulong Multiplier = 1220703125UL;
    internal const ulong FirstSeed = 314159265UL;
    private const ulong Mask = (1UL << 46) - 1;
    private const double Scale = 1.0 / (1L << 46);

    /// <summary>Advances <paramref name="x"/> by one step and returns the new value scaled into (0, 1).</summary>
    internal static double Next(ref ulong x)
    {
        x = unchecked(Multiplier * x) & Mask;
        return x * Scale;
    }

    /// <summary>(base ^ exponent) mod 2^46 by repeated squaring.</summary>
    internal static ulong Power(ulong @base, long exponent)
    {
        ulong result = 1;
        ulong square = @base & Mask;
        while (exponent > 0)
        {
            if ((exponent & 1) != 0)
            {
                result = unchecked(result * square) & Mask;
            }
            square = unchecked(square * square) & Mask;
            exponent >>= 1;
        }
        return result;
    }

    /// <summary>
    /// The seed of process <paramref name="rank"/> of <paramref name="processes"/> when the whole
    /// problem consumes <paramref name="totalNumbers"/> random numbers: s * a^(rank * total / np).
    /// </summary>
    internal static ulong SeedFor(int rank, int processes, long totalNumbers) =>
        unchecked(FirstSeed * Power(Multiplier, rank * (totalNumbers / processes))) & Mask;
}
