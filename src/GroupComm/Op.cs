using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>A predefined MPI reduction operation.</summary>
public readonly struct Op : IEquatable<Op>
{
    private readonly PredefinedOp kind;

    private Op(PredefinedOp kind) => this.kind = kind;

    internal nint Handle => MpiAbi.Current.Operation(kind);

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
    public bool Equals(Op other) => kind == other.kind;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Op other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => (int)kind;
    /// <summary>Whether two operations are the same.</summary>
    public static bool operator ==(Op left, Op right) => left.Equals(right);
    /// <summary>Whether two operations differ.</summary>
    public static bool operator !=(Op left, Op right) => !left.Equals(right);
    /// <inheritdoc/>
    public override string ToString() => kind.ToString();
}
