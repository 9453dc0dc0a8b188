using System.Globalization;
using System.Text;

namespace Mitten.Bench.IS;

/// <summary>
/// The CPU time of every thread of this process (/proc/self/task/TID/schedstat: nanoseconds on a
/// processor) with its name (/proc/self/task/TID/comm), for <see cref="PhaseTimes"/>: which of the
/// runtime's or Open MPI's threads ran during a timed loop. Read outside the timed iterations only.
/// </summary>
internal static class ThreadCpu
{
    /// <summary>Every thread's name and CPU nanoseconds now, by thread id.</summary>
    public static Dictionary<int, (string Name, long Nanoseconds)> Read()
    {
        var threads = new Dictionary<int, (string, long)>();
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                int tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim().Replace(' ', '_');
                string schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
                threads[tid] = (name, long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        return threads;
    }

    /// <summary>"NAME:TID=MS" for every thread but the main one that ran between the readings (new threads count from 0).</summary>
    public static string Difference(Dictionary<int, (string Name, long Nanoseconds)> before, Dictionary<int, (string Name, long Nanoseconds)> after)
    {
        var text = new StringBuilder();
        int main = Environment.ProcessId;
        foreach ((int tid, (string name, long ns)) in after)
        {
            long delta = ns - (before.TryGetValue(tid, out var b) ? b.Nanoseconds : 0);
            if (tid != main && delta > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{name}:{tid}={delta / 1e6:F3} ");
            }
        }
        return text.Length == 0 ? "none" : text.ToString().TrimEnd();
    }
}
