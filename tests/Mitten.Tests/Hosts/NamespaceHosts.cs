using System.Diagnostics;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Hosts;

/// <summary>
/// Three test hosts h1, h2, h3 in Linux network namespaces on this machine (scripts/hosts.sh),
/// brought up once for a test class and removed after it, unless they were up already (then
/// whoever brought them up, e.g. .ci/run, removes them). Tests call <see cref="RequireHosts"/>
/// first: without root or <c>ip netns</c> they are skipped with the reason, never passed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NamespaceHosts : IDisposable
{
    private readonly bool broughtUp;

    /// <summary>Why the hosts cannot be used here (null when they are up).</summary>
    public string? Unavailable { get; }

    /// <summary>What mpiexec needs to start processes on the hosts (OMPI_MCA_*: rsh agent, interfaces).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>A host file naming h1 and h2 with 2 slots each: 4 ranks fill both.</summary>
    public string TwoHosts { get; } = "";

    /// <summary>A host file naming only h1 (2 slots).</summary>
    public string OneHost { get; } = "";

    /// <summary>A host file naming h1, h2 and h3 with 2 slots each (h3 stays empty with 4 ranks).</summary>
    public string ThreeHosts { get; } = "";

    private readonly string folder = Path.Combine(Path.GetTempPath(), "mitten-hosts-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public NamespaceHosts()
    {
        if (geteuid() != 0)
        {
            Unavailable = "the namespace test hosts need root (scripts/hosts.sh creates network namespaces)";
            return;
        }
        var (listCode, listOutput) = Shell("ip", "netns", "list");
        if (listCode != 0)
        {
            Unavailable = $"'ip netns' is not available here ({listOutput.Trim()}); scripts/setup.sh installs iproute2";
            return;
        }
        bool wereUp = listOutput.Split('\n').Select(l => l.Split(' ')[0]).Intersect(["h1", "h2", "h3"]).Count() == 3
                      && File.Exists(Path.Combine(StateDirectory, "hostfile"));
        var (upCode, upOutput) = Shell("bash", Script, "up", "3", "--slots", "2");
        if (upCode != 0)
        {
            Unavailable = $"scripts/hosts.sh up 3 failed: {upOutput.Trim()}";
            return;
        }
        broughtUp = !wereUp;
        var (envCode, envOutput) = Shell("bash", Script, "env");
        if (envCode != 0)
        {
            Unavailable = $"scripts/hosts.sh env failed: {envOutput.Trim()}";
            return;
        }
        foreach (string line in envOutput.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("export ", StringComparison.Ordinal)))
        {
            string[] kv = line["export ".Length..].Split('=', 2);
            Environment[kv[0]] = kv[1];
        }
        Directory.CreateDirectory(folder);
        TwoHosts = Write("two-hosts", "h1 slots=2\nh2 slots=2\n");
        OneHost = Write("one-host", "h1 slots=2\n");
        ThreeHosts = Write("three-hosts", "h1 slots=2\nh2 slots=2\nh3 slots=2\n");
    }

    /// <summary>The state directory scripts/hosts.sh uses (its default).</summary>
    public static string StateDirectory => System.Environment.GetEnvironmentVariable("MITTEN_HOSTS_STATE") is { Length: > 0 } s ? s : "/tmp/mitten-hosts";

    private static string Script => Path.Combine(MpiJob.RepositoryRoot, "scripts", "hosts.sh");

    /// <summary>Skips the calling test (with the reason) when the hosts are not up.</summary>
    public void RequireHosts()
    {
        if (Unavailable is not null)
        {
            // xunit 2.9 reports a test that throws this as skipped, with the reason (Assert.Skip in v3).
            throw Xunit.Sdk.SkipException.ForSkip(Unavailable);
        }
    }

    /// <summary>The environment for a job on the hosts, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, string> JobEnvironment(IDictionary<string, string>? extra = null)
    {
        var all = new Dictionary<string, string>(Environment);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            all[k] = v;
        }
        return all;
    }

    /// <summary>Sets host <paramref name="host"/>'s only link (eth0 in its namespace) down or up.</summary>
    public static void SetLink(string host, bool up)
    {
        var (code, output) = Shell("ip", "-n", host, "link", "set", "eth0", up ? "up" : "down");
        Assert.True(code == 0, $"ip -n {host} link set eth0 {(up ? "up" : "down")} failed: {output}");
    }

    private string Write(string name, string contents)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>Runs a command to its end (60 s at most); exit code and stdout + stderr.</summary>
    internal static (int Code, string Output) Shell(string file, params string[] arguments)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using var process = Process.Start(psi)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{file} did not finish in 60 s");
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{file}: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (broughtUp)
        {
            // Links a test took down come back with the namespaces' removal.
            Shell("bash", Script, "down");
        }
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
