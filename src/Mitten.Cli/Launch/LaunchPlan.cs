using System.Globalization;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Launch;

/// <summary>
/// The mpiexec command line for a job, with every setting migration needs: a migrated rank
/// may exit without MPI_Finalize, oversubscription (replacements and ranks beyond the slots), the host file,
/// root permission only when running as root, and the control variables exported to the ranks.
/// </summary>
internal sealed record LaunchPlan(string Mpiexec, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)
{
    public const string JobDirVariable = "MITTEN_JOB_DIR";
    public const string RestartDirVariable = "MITTEN_RESTART_DIR";
    public const string HostsVariable = "MITTEN_HOSTS";
    public const string SparesVariable = "MITTEN_SPARES";
    public const string SpareHostsVariable = "MITTEN_SPARE_HOSTS";

    public static LaunchPlan For(JobDirectory job, int ranks, HostFile? hostFile, string program, IReadOnlyList<string> arguments,
        string? restartDir)
    {
        var args = new List<string> { "-n", ranks.ToString(CultureInfo.InvariantCulture) };
        args.AddRange(["--mca", "orte_allowed_exit_without_sync", "1"]);
        // Always: a migration starts the replacement before the old process leaves, so its target
        // host holds one process more than its slots for a moment, and the target may be full
        // already (a spawn onto a full host fails, and Open MPI 4.1's mpiexec then never exits).
        // Also needed when the ranks exceed the slots.
        args.Add("--oversubscribe");
        if (hostFile is not null)
        {
            args.AddRange(["--hostfile", hostFile.Path]);
        }
        var environment = new Dictionary<string, string> { [JobDirVariable] = job.Path };
        args.AddRange(["-x", JobDirVariable]);
        // The job side moves a rank only to hosts it knows (where its ranks run, localhost and
        // MITTEN_HOSTS): a failed spawn would leave Open MPI 4.1's mpiexec hanging at the end.
        // The host file's hosts are the job's, so they are added to what the caller set.
        string[] known = (System.Environment.GetEnvironmentVariable(HostsVariable) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(hostFile?.Hosts ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (known.Length > 0)
        {
            environment[HostsVariable] = string.Join(',', known);
            args.AddRange(["-x", HostsVariable]);
        }
        // Every other MITTEN_* setting of the caller (warm spares from mitten run --spares /
        // --spare-hosts, MITTEN_SPARE_REPLENISH, MITTEN_TRACE, deadlines, ...) reaches the ranks on
        // every host: mpiexec gives remote daemons only what -x names.
        foreach (string variable in CallerSettings())
        {
            environment[variable] = System.Environment.GetEnvironmentVariable(variable)!;
            args.AddRange(["-x", variable]);
        }
        // .NET switches a terminal's keypad mode (ESC[?1h ESC=) when its output is a terminal,
        // and Open MPI gives each rank a pseudo-terminal: without a capable TERM the program's
        // output stays clean.
        environment["TERM"] = "dumb";
        args.AddRange(["-x", "TERM"]);
        if (restartDir is not null)
        {
            environment[RestartDirVariable] = restartDir;
            args.AddRange(["-x", RestartDirVariable]);
        }
        if (Native.IsRoot)
        {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        }
        args.Add(program);
        args.AddRange(arguments);
        string mpiexec = System.Environment.GetEnvironmentVariable("MITTEN_MPIEXEC") is { Length: > 0 } m ? m : "mpiexec";
        return new LaunchPlan(mpiexec, args, environment);
    }

    /// <summary>
    /// The caller's non-empty MITTEN_* variables other than those this plan sets itself and
    /// MITTEN_MPIEXEC (which only chooses the launcher), in name order.
    /// </summary>
    internal static IEnumerable<string> CallerSettings()
    {
        string[] own = [JobDirVariable, RestartDirVariable, HostsVariable, "MITTEN_MPIEXEC"];
        var names = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith("MITTEN_", StringComparison.Ordinal) && !own.Contains(name)
                && entry.Value is string { Length: > 0 })
            {
                names.Add(name);
            }
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}

/// <summary>An Open MPI host file: one host per line, optional <c>slots=N</c>, '#' comments.</summary>
internal sealed record HostFile(string Path, IReadOnlyList<string> Hosts, int? TotalSlots)
{
    public static HostFile Read(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new MittenException($"host file {path} does not exist");
        }
        var hosts = new List<string>();
        int total = 0;
        bool allHaveSlots = true;
        int lineNumber = 0;
        foreach (string raw in ControlFiles.ReadText(full).Split('\n'))
        {
            lineNumber++;
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string host = fields[0];
            if (!Names.IsHostName(host, out string why))
            {
                throw new MittenException($"host file {path} line {lineNumber}: '{Names.Printable(host)}' is not a host name ({why})");
            }
            if (!hosts.Contains(host, StringComparer.OrdinalIgnoreCase))
            {
                hosts.Add(host);
            }
            string? slots = fields.Skip(1).FirstOrDefault(f => f.StartsWith("slots=", StringComparison.Ordinal));
            if (slots is not null && int.TryParse(slots["slots=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                total += n;
            }
            else
            {
                allHaveSlots = false;
            }
        }
        if (hosts.Count == 0)
        {
            throw new MittenException($"host file {path} names no host");
        }
        return new HostFile(full, hosts, allHaveSlots ? total : null);
    }
}
