using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Runtime;

/// <summary>
/// Runs the built <c>mitten</c> command against a private jobs folder (MITTEN_HOME), either as
/// an MPI job (<c>run</c>, <c>restart</c>: through <see cref="MpiJob.Execute"/>, which takes the
/// machine's MPI lock) or as a plain operator command next to a running job.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class MittenCli : IDisposable
{
    public static string Binary { get; } =
        Path.Combine(MpiJob.RepositoryRoot, "src", "Mitten.Cli", "bin", MpiJob.Configuration, "net10.0", "mitten");

    public static string Driver => MpiJob.Driver("RuntimeDriver");

    public string Home { get; } = Path.Combine(Path.GetTempPath(), "mitten-tests-" + Guid.NewGuid().ToString("N")[..12]);

    public string JobsRoot => Path.Combine(Home, "jobs");

    private Dictionary<string, string> Environment => new() { ["MITTEN_HOME"] = Home };

    /// <summary><c>mitten run|restart ...</c> as an MPI job.</summary>
    public MpiJob Launch(IEnumerable<string> arguments, int timeoutSeconds = 90, IDictionary<string, string>? environment = null)
    {
        Dictionary<string, string> all = Environment;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            all[k] = v;
        }
        return MpiJob.Execute(Binary, arguments, TimeSpan.FromSeconds(timeoutSeconds), all);
    }

    /// <summary>Starts <c>mitten run</c> in the background (it holds the MPI lock until the job ends).</summary>
    public Task<MpiJob> LaunchInBackground(IEnumerable<string> arguments, int timeoutSeconds = 90, IDictionary<string, string>? environment = null) =>
        Task.Run(() => Launch(arguments, timeoutSeconds, environment));

    /// <summary>An operator command (status, migrate, drain, checkpoint): not an MPI job.</summary>
    public Result Run(params string[] arguments)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in Environment)
        {
            psi.Environment[k] = v;
        }
        psi.Environment["TERM"] = "dumb";
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mitten {string.Join(' ', arguments)} did not finish in 60 s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result, "mitten " + string.Join(' ', arguments));
    }

    internal sealed record Result(int ExitCode, string Stdout, string Stderr, string Command)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"{Command}\nexit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

        /// <summary>An error: non-zero exit, exactly one line on stderr containing <paramref name="text"/>.</summary>
        public void IsOneLineError(string text, int exitCode = 1)
        {
            Assert.True(ExitCode == exitCode, $"expected exit {exitCode}\n{this}");
            Assert.True(StderrLines.Length == 1, $"expected one stderr line\n{this}");
            Assert.True(StderrLines[0].StartsWith("mitten: ", StringComparison.Ordinal) && StderrLines[0].Contains(text, StringComparison.Ordinal),
                $"expected '{text}'\n{this}");
        }
    }

    /// <summary>The only job directory under the private jobs folder, once it exists.</summary>
    public string WaitForJobDirectory(Task<MpiJob> running)
    {
        string? dir = null;
        WaitUntil(() => running.IsCompleted || (dir = Directory.Exists(JobsRoot) ? Directory.GetDirectories(JobsRoot).SingleOrDefault() : null) is not null,
            "the job directory", seconds: 21 * 60); // mitten run starts once the machine's MPI lock is free (MpiJob waits up to 20 min)
        Assert.True(dir is not null, "the job ended before its directory appeared:\n" + (running.IsCompleted ? running.Result.Describe() : ""));
        return dir!;
    }

    /// <summary>Waits until every rank reported (ranks/&lt;r&gt;.json), failing if the job ends first.</summary>
    public static void WaitForRanks(string jobDir, int ranks, Task<MpiJob> running) =>
        WaitUntil(() =>
        {
            Assert.False(running.IsCompleted, "the job ended early:\n" + (running.IsCompleted ? running.Result.Describe() : ""));
            return Enumerable.Range(0, ranks).All(r => File.Exists(Path.Combine(jobDir, "ranks", $"{r}.json")));
        }, "every rank's report");

    public static void WaitUntil(Func<bool> condition, string what, int seconds = 30)
    {
        DateTime giveUp = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, $"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    public static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    public static List<JsonObject> ReadJsonLines(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList() : [];

    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    public static void OwnerOnly(string path, bool directory)
    {
        UnixFileMode expected = directory
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.True(Mode(path) == expected, $"{path}: mode {Convert.ToString((int)Mode(path), 8)}, expected {Convert.ToString((int)expected, 8)}");
    }

    /// <summary>The result of a background job once it ended by itself (its own time limit applies).</summary>
    public static MpiJob WaitForEnd(Task<MpiJob> running) => running.GetAwaiter().GetResult();

    /// <summary>Ends a <c>serve</c> driver job (the driver watches this file) and returns its result.</summary>
    public static MpiJob Stop(string jobDir, Task<MpiJob> running)
    {
        File.WriteAllText(Path.Combine(jobDir, "driver-stop"), "");
        Assert.True(running.Wait(TimeSpan.FromSeconds(60)), "the job did not stop");
        return running.Result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
