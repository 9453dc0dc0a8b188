using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>An MPI reduction operation: a predefined one, or one made with <see cref="Create"/>.</summary>
public readonly struct Op : IEquatable<Op>
{
    private readonly PredefinedOp kind;
    private readonly nint user; // MPI_Op of a user-defined operation, else 0

    private Op(PredefinedOp kind) => this.kind = kind;

    private Op(nint user) => this.user = user;

    internal nint Handle => user != 0 ? user : MpiAbi.Current.Operation(kind);

    /// <summary>Whether this is a user-defined operation (<see cref="Create"/>).</summary>
    public bool IsUserDefined => user != 0;

    /// <summary>
    /// Creates a user-defined reduction (MPI_Op_create). <paramref name="function"/> is a static
    /// <c>[UnmanagedCallersOnly]</c> method <c>(void* input, void* inputOutput, int* length, nint* datatype)</c>
    /// that sets <c>inputOutput[i] = input[i] op inputOutput[i]</c> for <c>*length</c> elements of the
    /// reduced type; it must be associative, and commutative when <paramref name="commutative"/>
    /// is true. The operation is a local MPI object: every process creates it (after MPI is
    /// initialized), and releases it with <see cref="Free"/> when done.
    /// </summary>
    public static unsafe Op Create(delegate* unmanaged<void*, void*, int*, nint*, void> function, bool commutative)
    {
        if (function == null)
        {
            throw new ArgumentNullException(nameof(function));
        }
        MpiFunctions.Require(MpiFunctions.Op_create, "MPI_Op_create");
        nint handle;
        MpiException.Check(MpiFunctions.Op_create(function, commutative ? 1 : 0, &handle), "MPI_Op_create");
        return new Op(handle);
    }

    /// <summary>Releases a user-defined operation (MPI_Op_free); it must not be used afterwards. Does nothing for a predefined one.</summary>
    public unsafe void Free()
    {
        if (user == 0)
        {
            return;
        }
        nint handle = user;
        MpiException.Check(MpiFunctions.Op_free(&handle), "MPI_Op_free");
    }

    /// <summary>MPI_SUM.</summary>
    public static Op Sum => new(PredefinedOp.Sum);
    /// <summary>MPI_PROD.</summary>
    public static Op Product => new(PredefinedOp.Prod);
    /// <summary>MPI_MAX.</summary>
    public static Op Max => new(PredefinedOp.Max);
    /// <summary>MPI_MIN.</summary>
    public static Op Min => new(PredefinedOp.Min);
    /// <summary>MPI_LAND.</summary>
    public static Op LogicalAnd => new(PredefinedOp.LogicalAnd);
    /// <summary>MPI_LOR.</summary>
    public static Op LogicalOr => new(PredefinedOp.LogicalOr);
    /// <summary>MPI_LXOR.</summary>
    public static Op LogicalXor => new(PredefinedOp.LogicalXor);
    /// <summary>MPI_BAND.</summary>
    public static Op BitwiseAnd => new(PredefinedOp.BitwiseAnd);
    /// <summary>MPI_BOR.</summary>
    public static Op BitwiseOr => new(PredefinedOp.BitwiseOr);
    /// <summary>MPI_BXOR.</summary>
    public static Op BitwiseXor => new(PredefinedOp.BitwiseXor);
    /// <summary>MPI_REPLACE (one-sided accumulate only).</summary>
    public static Op Replace => new(PredefinedOp.Replace);
    /// <summary>MPI_NO_OP (one-sided fetch only).</summary>
    public static Op NoOp => new(PredefinedOp.NoOp);

    /// <inheritdoc/>
    public bool Equals(Op other) => kind == other.kind && user == other.user;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Op other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(kind, user);
    /// <summary>Whether two operations are the same.</summary>
    public static bool operator ==(Op left, Op right) => left.Equals(right);
    /// <summary>Whether two operations differ.</summary>
    public static bool operator !=(Op left, Op right) => !left.Equals(right);
    /// <inheritdoc/>
    public override string ToString() => user != 0 ? $"UserOp(0x{user:x})" : kind.ToString();
}
