namespace Mitten.Bench.MG;

/// <summary>
/// The NPB generator x(k+1) = a x(k) mod 2^46, a = 5^13, value x(k+1) 2^-46, in exact 64-bit
/// integer arithmetic (the low 46 bits of a product depend only on its low 64 bits).
/// </summary>
internal static class MgRandom
{
    internal const ulong Multiplier = 1220703125UL;
    internal const ulong Seed = 314159265UL;
    private const ulong Mask = (1UL << 46) - 1;
    internal const double Scale = 1.0 / (1L << 46);

    /// <summary>(<paramref name="value"/> * a^<paramref name="steps"/>) mod 2^46: the sequence <paramref name="steps"/> steps further.</summary>
    internal static ulong Jump(ulong value, long steps)
    {
        ulong result = value & Mask;
        ulong square = Multiplier;
        while (steps > 0)
        {
            if ((steps & 1) != 0)
            {
                result = unchecked(result * square) & Mask;
            }
            square = unchecked(square * square) & Mask;
            steps >>= 1;
        }
        return result;
    }

    /// <summary>One step: advances <paramref name="x"/> and returns it (the caller scales by <see cref="Scale"/>).</summary>
    internal static ulong Next(ulong x) => unchecked(Multiplier * x) & Mask;
}
