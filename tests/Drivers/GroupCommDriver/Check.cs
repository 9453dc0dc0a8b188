using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>Self-checking output for driver programs: one line per check, read by the xunit tests.</summary>
internal static class Check
{
    internal static int Failures;

    internal static void That(string name, bool condition, string detail = "")
    {
        int rank = Mpi.IsInitialized && !Mpi.IsFinalized ? Mpi.World.Rank : -1;
        if (condition)
        {
            Console.WriteLine($"CHECK {name} ok rank={rank}");
        }
        else
        {
            Failures++;
            Console.WriteLine($"CHECK {name} FAIL rank={rank} {detail}");
        }
    }

    internal static void Equal<T>(string name, T expected, T actual) =>
        That(name, EqualityComparer<T>.Default.Equals(expected, actual), $"expected {expected}, got {actual}");

    internal static void Sequence<T>(string name, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual) where T : IEquatable<T> =>
        That(name, expected.SequenceEqual(actual), $"expected [{string.Join(",", expected.ToArray())}], got [{string.Join(",", actual.ToArray())}]");

    internal static void Throws<TException>(string name, Action action, Func<TException, bool>? predicate = null) where TException : Exception
    {
        try
        {
            action();
            That(name, false, $"no {typeof(TException).Name} was thrown");
        }
        catch (TException e)
        {
            That(name, predicate?.Invoke(e) ?? true, $"{e.GetType().Name}: {e.Message}");
            Console.WriteLine($"MESSAGE {name}: {e.Message}");
        }
        catch (Exception e)
        {
            That(name, false, $"expected {typeof(TException).Name}, got {e.GetType().Name}: {e.Message}");
        }
    }
}
