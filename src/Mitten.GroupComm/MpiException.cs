using System.Runtime.CompilerServices;
using System.Text;
using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

/// <summary>
/// An MPI call returned an error. Carries the implementation's error code, its portable
/// error class and the library's own error string.
/// </summary>
public sealed class MpiException : Exception
{
    /// <summary>The raw error code the MPI library returned.</summary>
    public int ErrorCode { get; }

    /// <summary>The error class of <see cref="ErrorCode"/>.</summary>
    public MpiErrorClass ErrorClass { get; }

    /// <summary>The name of the MPI function that failed.</summary>
    public string Function { get; }

    internal MpiException(string function, int errorCode, MpiErrorClass errorClass, string libraryMessage)
        : base($"{function} failed: {libraryMessage} (error class {errorClass}, code {errorCode})")
    {
        ErrorCode = errorCode;
        ErrorClass = errorClass;
        Function = function;
    }

    /// <summary>Throws when <paramref name="rc"/> is not MPI_SUCCESS. Inlined; the throw is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int rc, string function)
    {
        if (rc != 0)
        {
            Throw(rc, function);
        }
    }

    /// <summary>
    /// The exception for an error code an MPI call returned (what the binding's throwing calls
    /// raise), e.g. from <see cref="RequestHandle.TestWithoutThrowing"/>.
    /// </summary>
    /// <param name="errorCode">The error code, not MPI_SUCCESS.</param>
    /// <param name="function">The MPI function that returned it, e.g. "MPI_Test".</param>
    public static MpiException FromErrorCode(int errorCode, string function) => Create(errorCode, function);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int rc, string function) => throw Create(rc, function);

    internal static unsafe MpiException Create(int rc, string function)
    {
        MpiAbi abi = MpiAbi.Current;
        int nativeClass = rc;
        if (MpiFunctions.Error_class != null)
        {
            int cls;
            if (MpiFunctions.Error_class(rc, &cls) == 0)
            {
                nativeClass = cls;
            }
        }
        string message = $"MPI error {rc}";
        if (MpiFunctions.Error_string != null)
        {
            byte* buffer = stackalloc byte[abi.MaxErrorString + 1];
            int length;
            if (MpiFunctions.Error_string(rc, buffer, &length) == 0 && length > 0)
            {
                message = Encoding.UTF8.GetString(buffer, Math.Min(length, abi.MaxErrorString));
            }
        }
        return new MpiException(function, rc, abi.ErrorClassOf(nativeClass), message);
    }
}

/// <summary>The MPI library cannot be loaded or lacks a needed function.</summary>
public sealed class MpiUnavailableException : Exception
{
    /// <summary>Creates the exception with a message saying what is missing.</summary>
    internal MpiUnavailableException(string message) : base(message) { }
}

/// <summary>Portable MPI error classes (the standard's names, without the MPI_ERR_ prefix).</summary>
public enum MpiErrorClass
{
    /// <summary>No error.</summary>
    Success,
    /// <summary>Invalid buffer pointer.</summary>
    Buffer,
    /// <summary>Invalid count argument.</summary>
    Count,
    /// <summary>Invalid datatype.</summary>
    Type,
    /// <summary>Invalid tag.</summary>
    Tag,
    /// <summary>Invalid communicator.</summary>
    Comm,
    /// <summary>Invalid rank.</summary>
    Rank,
    /// <summary>Invalid request.</summary>
    Request,
    /// <summary>Invalid root.</summary>
    Root,
    /// <summary>Invalid group.</summary>
    Group,
    /// <summary>Invalid operation.</summary>
    Op,
    /// <summary>Invalid dimensions.</summary>
    Dims,
    /// <summary>Invalid argument.</summary>
    Arg,
    /// <summary>Unknown error.</summary>
    Unknown,
    /// <summary>Message truncated on receive.</summary>
    Truncate,
    /// <summary>Other error.</summary>
    Other,
    /// <summary>Internal error of the library.</summary>
    Intern,
    /// <summary>Error code is in status.</summary>
    InStatus,
    /// <summary>Pending request.</summary>
    Pending,
    /// <summary>Invalid assertion argument.</summary>
    Assert,
    /// <summary>Invalid base address.</summary>
    Base,
    /// <summary>Invalid displacement.</summary>
    Disp,
    /// <summary>Invalid info key.</summary>
    InfoKey,
    /// <summary>Invalid lock type.</summary>
    LockType,
    /// <summary>Out of memory.</summary>
    NoMem,
    /// <summary>File or executable does not exist.</summary>
    NoSuchFile,
    /// <summary>Conflicting accesses to a window.</summary>
    RmaConflict,
    /// <summary>Wrong synchronization of one-sided calls.</summary>
    RmaSync,
    /// <summary>Invalid size.</summary>
    Size,
    /// <summary>Error spawning processes.</summary>
    Spawn,
    /// <summary>Invalid window.</summary>
    Win,
    /// <summary>Target memory is outside the window.</summary>
    RmaRange,
}

/// <summary>Thread support levels of MPI_Init_thread.</summary>
public enum ThreadLevel
{
    /// <summary>Only one thread runs.</summary>
    Single,
    /// <summary>Only the thread that initialized MPI calls it.</summary>
    Funneled,
    /// <summary>Any thread calls MPI, one at a time.</summary>
    Serialized,
    /// <summary>Any thread calls MPI at any time.</summary>
    Multiple,
}

/// <summary>Result of comparing two communicators or groups.</summary>
public enum CompareResult
{
    /// <summary>The same object.</summary>
    Identical,
    /// <summary>Same members in the same order, different context.</summary>
    Congruent,
    /// <summary>Same members, different order.</summary>
    Similar,
    /// <summary>Different members.</summary>
    Unequal,
}

/// <summary>Lock types of passive-target window epochs.</summary>
public enum LockType
{
    /// <summary>Other processes may hold shared locks at the same time.</summary>
    Shared,
    /// <summary>No other process holds a lock on the target at the same time.</summary>
    Exclusive,
}
