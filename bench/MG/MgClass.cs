namespace Mitten.Bench.MG;

/// <summary>The parameters of one MG problem class (grid size, iterations, smoother, verification value).</summary>
public sealed class MgClass
{
    /// <summary>Relative tolerance of the verification: |rnm2 - value| / value must not exceed it.</summary>
    public const double Tolerance = 1e-8;

    private MgClass(char name, int log2Size, int iterations, bool smootherB, double verificationValue)
    {
        Name = name;
        Log2Size = log2Size;
        Iterations = iterations;
        Smoother = smootherB ? [-3.0 / 17.0, 1.0 / 33.0, -1.0 / 61.0, 0.0] : [-3.0 / 8.0, 1.0 / 32.0, -1.0 / 64.0, 0.0];
        VerificationValue = verificationValue;
    }

    /// <summary>S, W, A, B or C.</summary>
    public char Name { get; }

    /// <summary>log2 of the grid points per dimension (the number of levels, lt).</summary>
    public int Log2Size { get; }

    /// <summary>Grid points per dimension.</summary>
    public int Size => 1 << Log2Size;

    /// <summary>Timed V-cycle iterations (nit).</summary>
    public int Iterations { get; }

    /// <summary>The smoother's coefficients c0..c3 (smoother a or b).</summary>
    public IReadOnlyList<double> Smoother { get; }

    /// <summary>The official L2 norm of the final residual.</summary>
    public double VerificationValue { get; }

    /// <summary>Whether <paramref name="rnm2"/> passes the official verification.</summary>
    public bool Verifies(double rnm2) => Math.Abs(rnm2 - VerificationValue) / VerificationValue <= Tolerance;

    /// <summary>The class named <paramref name="name"/> (S, W, A, B, C; case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown class.</exception>
    public static MgClass Get(string name) => name.ToUpperInvariant() switch
    {
        "S" => new('S', 5, 4, false, 0.5307707005734e-04),
        "W" => new('W', 7, 4, false, 0.6467329375339e-05),
        "A" => new('A', 8, 4, false, 0.2433365309069e-05),
        "B" => new('B', 8, 20, true, 0.1800564401355e-05),
        "C" => new('C', 9, 20, true, 0.5706732285740e-06),
        _ => throw new ArgumentException($"unknown MG class '{name}' (S, W, A, B or C)"),
    };
}
