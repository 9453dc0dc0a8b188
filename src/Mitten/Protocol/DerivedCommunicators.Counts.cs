using System.Globalization;
using System.Text;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Derived communicators in the synchronization (DerivedCommunicators.cs): each process reports its
/// collective count on every derived communicator it uses; the leader tells from them whether a
/// blocked process's report is stale (behind a member that will not move any more) and whether the
/// group can stop here (the members' counts on every derived communicator agree).
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>
    /// For a REPORT: this process's non-blocking collectives in progress and its collective count
    /// on every derived communicator it uses, one "key count" per line after the first; empty
    /// when it has neither.
    /// </summary>
    private string DescribeChannelsForReport()
    {
        if (derived.Count == 0 && outstandingCollectives.Count == 0)
        {
            return "";
        }
        var text = new StringBuilder();
        text.Append(outstandingCollectives.Count.ToString(CultureInfo.InvariantCulture));
        foreach (Channel channel in derived.Values)
        {
            if (!channel.Freed)
            {
                text.Append('\n').Append(channel.Key).Append(' ').Append(channel.Collectives.ToString(CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    private static int OutstandingCollectivesIn(SyncReport report) =>
        report.Channels.Length == 0 ? 0 : int.Parse(report.Channels.AsSpan(0, IndexOrEnd(report.Channels, '\n')), CultureInfo.InvariantCulture);

    private static int IndexOrEnd(string text, char c) => text.IndexOf(c) is >= 0 and int i ? i : text.Length;

    /// <summary>The derived communicators' collective counts in a report, by key (a plain list: no iterator or LINQ instantiation to compile inside a migration).</summary>
    private static List<(string Key, long Count)> DerivedCountsIn(SyncReport report)
    {
        var counts = new List<(string Key, long Count)>();
        string text = report.Channels;
        int line = text.IndexOf('\n');
        while (line >= 0)
        {
            int start = line + 1;
            int end = text.IndexOf('\n', start);
            line = end;
            ReadOnlySpan<char> entry = text.AsSpan(start, (end < 0 ? text.Length : end) - start);
            int space = entry.LastIndexOf(' ');
            counts.Add((entry[..space].ToString(), long.Parse(entry[(space + 1)..], CultureInfo.InvariantCulture)));
        }
        return counts;
    }

    /// <summary>This process's live derived channels' collective counts, as <see cref="DerivedCountsIn"/> gives another's.</summary>
    private List<(string Key, long Count)> OwnDerivedCounts()
    {
        var counts = new List<(string Key, long Count)>(derived.Count);
        foreach (Channel channel in derived.Values)
        {
            if (!channel.Freed)
            {
                counts.Add((channel.Key, channel.Collectives));
            }
        }
        return counts;
    }

    /// <summary>
    /// Whether a blocked process has completed fewer collectives on a derived communicator than a
    /// member that will not move any more (the leader, or one stopped at the global superstep):
    /// then that member finished a collective the blocked one has not entered, so the blocked one
    /// is not waiting for good (its report is stale), as for the group's own count.
    /// </summary>
    private bool BehindOnDerivedCollectives(SyncReport report)
    {
        if (report.Channels.Length == 0)
        {
            return false;
        }
        Dictionary<string, long> settled = SettledDerivedCounts();
        foreach ((string key, long count) in DerivedCountsIn(report))
        {
            if (settled.TryGetValue(key, out long ahead) && ahead > count)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Per derived communicator key, the largest count of the leader and of the processes stopped at the global superstep.</summary>
    private Dictionary<string, long> SettledDerivedCounts()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Channel channel in derived.Values)
        {
            if (!channel.Freed)
            {
                counts[channel.Key] = channel.Collectives;
            }
        }
        foreach (SyncReport? other in sync!.Reports)
        {
            if (other is { Kind: ReportKind.Arrived or ReportKind.Finishing })
            {
                foreach ((string key, long count) in DerivedCountsIn(other))
                {
                    counts[key] = Math.Max(count, counts.GetValueOrDefault(key));
                }
            }
        }
        return counts;
    }

    /// <summary>Why the group cannot stop here because of a derived communicator (empty when it can): its members' collective counts differ.</summary>
    private string DerivedCollectivesProblem(SynchronizationSession session)
    {
        var seen = new Dictionary<string, (int Rank, long Count)>(StringComparer.Ordinal);
        for (int i = 0; i < Size; i++)
        {
            List<(string Key, long Count)> counts = i == Rank ? OwnDerivedCounts() : DerivedCountsIn(session.Reports[i]!);
            foreach ((string key, long count) in counts)
            {
                if (seen.TryGetValue(key, out var first) && first.Count != count)
                {
                    return $"ranks {first.Rank} and {i} completed {first.Count} and {count} collective operations on a derived communicator ({key}): " +
                           "the program's collectives on it are not matched between migration points, so the group cannot stop consistently here";
                }
                seen.TryAdd(key, (i, count));
            }
        }
        return "";
    }
}
