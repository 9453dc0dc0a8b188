using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Mitten.Tests.Support;

/// <summary>
/// Runs a driver program as a real <c>mpiexec</c> job and collects what the ranks report.
/// Jobs never overlap (the machine has 2 cores), and every job has a time limit after which
/// its whole process group is killed, so a hung job fails a test instead of the run.
/// </summary>
public sealed partial class MpiJob
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public required int ExitCode { get; init; }
    public required string Stdout { get; init; }
    public required string Stderr { get; init; }
    public required bool TimedOut { get; init; }
    public required string CommandLine { get; init; }

    /// <summary>
    /// How long the job itself ran, from its start to its exit: without the wait for the
    /// machine lock, so a test that checks a deadline is not failed by other jobs in the queue.
    /// </summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The repository root (the folder holding Mitten.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The build configuration the tests were built in, which the drivers share.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>Path of a driver executable under tests/Drivers.</summary>
    public static string Driver(string name) =>
        Path.Combine(RepositoryRoot, "tests", "Drivers", name, "bin", Configuration, "net10.0", name);

    /// <summary>The built benchmark program bench/NAME (e.g. "IS").</summary>
    public static string Benchmark(string name) =>
        Path.Combine(RepositoryRoot, "bench", name, "bin", Configuration, "net10.0", name);

    /// <summary>Runs <paramref name="program"/> on <paramref name="ranks"/> ranks.</summary>
    public static MpiJob Run(int ranks, string program, IEnumerable<string> arguments, TimeSpan? timeout = null,
        IEnumerable<string>? mpiexecOptions = null, IDictionary<string, string>? environment = null)
    {
        var args = new List<string> { "--oversubscribe", "-n", ranks.ToString() };
        // A migrated rank leaves without MPI_Finalize; mpiexec must allow that.
        args.AddRange(["--mca", "orte_allowed_exit_without_sync", "1"]);
        args.AddRange(mpiexecOptions ?? []);
        args.Add(program);
        args.AddRange(arguments);
        return Execute("mpiexec", args, timeout ?? TimeSpan.FromSeconds(120), environment);
    }

    /// <summary>Runs any command with the MPI environment (used for the mitten CLI too).</summary>
    public static MpiJob Execute(string file, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        OneAtATime.Wait();
        using IDisposable machineLock = AcquireMachineLock();
        try
        {
            // setsid puts the job in its own process group so a timeout can kill all of it.
            var psi = new ProcessStartInfo("setsid")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(file);
            foreach (string a in arguments)
            {
                psi.ArgumentList.Add(a);
            }
            if (Environment.UserName == "root" || geteuid() == 0)
            {
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            }
            psi.Environment["TERM"] = "dumb";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            {
                psi.Environment[k] = v;
            }
            var running = Stopwatch.StartNew();
            using var process = Process.Start(psi)!;
            process.StandardInput.Close();
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool finished = process.WaitForExit(timeout);
            if (!finished)
            {
                kill(-process.Id, 9);
                process.WaitForExit(10_000);
            }
            process.WaitForExit();
            running.Stop();
            return new MpiJob
            {
                Elapsed = running.Elapsed,
                ExitCode = finished ? process.ExitCode : -1,
                Stdout = Clean(stdout.ToString()),
                Stderr = Clean(stderr.ToString()),
                TimedOut = !finished,
                CommandLine = file + " " + string.Join(" ", arguments),
            };
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    /// <summary>
    /// MPI jobs from different test runs or benchmarks on this machine must not overlap either
    /// (2 cores); they take this lock file. Shell scripts use <c>flock</c> on the same file.
    /// </summary>
    public const string MachineLockPath = "/tmp/mitten-mpi-jobs.lock";

    /// <summary>Takes the machine's MPI lock (blocking); disposing releases it (tests of detached jobs hold it themselves).</summary>
    internal static IDisposable AcquireMachineLock()
    {
        // A blocking flock(2) on a descriptor of our own, as the scripts' `flock` takes it:
        // polling with a non-blocking attempt loses every hand-over to blocking waiters and can
        // starve for many minutes when benchmarks run beside the tests.
        const int OpenReadWriteCreate = 2 | 0x40, LockExclusive = 2, Interrupted = 4;
        int fd = open(MachineLockPath, OpenReadWriteCreate, 438 /* 0666 */);
        if (fd < 0)
        {
            throw new IOException($"cannot open {MachineLockPath} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        while (flock(fd, LockExclusive) != 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Interrupted)
            {
                close(fd);
                throw new IOException($"cannot lock {MachineLockPath}");
            }
        }
        return new MachineLock(fd);
    }

    /// <summary>The machine-wide MPI job lock; closing the descriptor releases it.</summary>
    private sealed class MachineLock(int fd) : IDisposable
    {
        public void Dispose() => close(fd);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int close(int fd);

    /// <summary>Lines a driver printed with <c>CHECK name ok|FAIL</c>.</summary>
    public IReadOnlyList<(string Name, bool Ok, string Line)> Checks =>
        CheckLine().Matches(Stdout).Select(m => (m.Groups[1].Value, m.Groups[2].Value == "ok", m.Value)).ToList();

    /// <summary>Lines starting with <paramref name="prefix"/>, without it.</summary>
    public IEnumerable<string> LinesStartingWith(string prefix) =>
        Stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]);

    /// <summary>Everything a failed assertion should show.</summary>
    public string Describe() =>
        $"command: {CommandLine}\nexit code: {ExitCode}{(TimedOut ? " (timed out)" : "")}\n--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}";

    private static string Tail(string s) => s.Length > 6000 ? "..." + s[^6000..] : s;

    // .NET may emit terminal mode sequences when it sees a terminal; they are not output.
    private static string Clean(string s) => TerminalSequence().Replace(s, "");

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Mitten.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Mitten.sln) above " + AppContext.BaseDirectory);
    }

    // Not anchored at a line start: mpiexec forwards each rank's output as it reads it, so a line
    // a rank wrote in several pieces can have another rank's CHECK line in the middle of it.
    [GeneratedRegex(@"CHECK (\S+) (ok|FAIL)\b.*$", RegexOptions.Multiline)]
    private static partial Regex CheckLine();

    [GeneratedRegex(@"\x1b\[\?1[hl]\x1b[=>]?|\x1b[=>]")]
    private static partial Regex TerminalSequence();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int signal);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
