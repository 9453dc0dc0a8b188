using System.Globalization;

namespace Mitten.Bench.Common;

/// <summary>A migration to inject: rank <see cref="Rank"/> moves to <see cref="Host"/> (its own host when null) at timed iteration <see cref="Iteration"/>.</summary>
/// <param name="Rank">The rank that moves.</param>
/// <param name="Iteration">The timed iteration (from 1) at whose migration point the request is made.</param>
/// <param name="Host">Target host, or null for the current one.</param>
public sealed record MigrationPlan(int Rank, int Iteration, string? Host)
{
    /// <summary>Parses <c>RANK@ITERATION[:HOST]</c>.</summary>
    /// <exception cref="ArgumentException">The text is not of that form.</exception>
    public static MigrationPlan Parse(string text)
    {
        int at = text.IndexOf('@');
        string rest = at >= 0 ? text[(at + 1)..] : "";
        int colon = rest.IndexOf(':');
        string? host = colon >= 0 ? rest[(colon + 1)..] : null;
        string iteration = colon >= 0 ? rest[..colon] : rest;
        if (at <= 0
            || !int.TryParse(text[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            || !int.TryParse(iteration, NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || host is { Length: 0 })
        {
            throw new ArgumentException($"--migrate wants RANK@ITERATION[:HOST], not '{text}'");
        }
        return new MigrationPlan(rank, k, host);
    }
}
