using System.Net;

namespace Mitten.Runtime.Control;

/// <summary>What can be checked about processes only on this machine.</summary>
internal static class LocalMachine
{
    private static readonly Lazy<HashSet<string>> Names = new(() =>
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", Environment.MachineName };
        string full = Dns.GetHostName();
        names.Add(full);
        names.Add(full.Split('.')[0]);
        return names;
    });

    public static string HostName => Dns.GetHostName();

    public static bool IsLocal(string host) => Names.Value.Contains(host) || Names.Value.Contains(host.Split('.')[0]);

    /// <summary>
    /// True when two host names certainly name one machine: the same name (any case), two
    /// names of this machine (e.g. <c>localhost</c> and its host name), or a short name and a
    /// full name that starts with it (<c>node3</c>, <c>node3.cluster</c>).
    /// </summary>
    public static bool SameMachine(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || (IsLocal(a) && IsLocal(b)))
        {
            return true;
        }
        bool aShort = !a.Contains('.'), bShort = !b.Contains('.');
        return aShort != bShort && string.Equals(a.Split('.')[0], b.Split('.')[0], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when process <paramref name="pid"/> on this machine has <c>MITTEN_JOB_DIR</c> set to
    /// this job's directory: the check that keeps a signal from reaching a process that merely
    /// reuses the pid of a rank that is gone.
    /// </summary>
    public static bool BelongsToJob(int pid, JobDirectory job)
    {
        try
        {
            byte[] environ = File.ReadAllBytes($"/proc/{pid}/environ");
            string wanted = "MITTEN_JOB_DIR=" + job.Path;
            foreach (string entry in System.Text.Encoding.UTF8.GetString(environ).Split('\0'))
            {
                if (entry == wanted || entry == wanted + "/")
                {
                    return true;
                }
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
