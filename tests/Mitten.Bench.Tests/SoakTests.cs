using System.Diagnostics;
using System.Globalization;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// One short soak job (bench/Soak, the program behind <c>scripts/bench.sh soak</c>) under a real
/// mpiexec with a control directory: 4 ranks, randomized checked traffic (every point-to-point
/// style, 0 B to 1 MiB, every collective) and a few concurrent and self-requested migrations to
/// localhost. Every request a rank issued must end with exactly one outcome recorded under its
/// id (<c>migrations/ID.json</c>), no message may be lost, duplicated, reordered or corrupted,
/// every rank's result must equal the value computed without migrations, and the job must end
/// before its deadline.
/// </summary>
public class SoakTests
{
    private static string Program => Path.Combine(MpiJob.RepositoryRoot, "bench", "Soak", "bin", MpiJob.Configuration, "net10.0", "Soak");

    [Theory]
    [InlineData(7, 4, 30, 8)]
    public void Short_soak_job_loses_nothing_and_every_request_has_one_outcome(int seed, int ranks, int iterations, int requests)
    {
        string root = Directory.CreateTempSubdirectory("mitten-soak-test-").FullName;
        try
        {
            string control = Path.Combine(root, "control"), logs = Path.Combine(root, "logs");
            Directory.CreateDirectory(control); // inside a temporary directory that only its owner can enter
            Directory.CreateDirectory(logs);
            string[] arguments = ["run", "--seed", Str(seed), "--iterations", Str(iterations), "--requests", Str(requests), "--log-dir", logs];
            var job = MpiJob.Run(ranks, Program, arguments, TimeSpan.FromSeconds(240),
                environment: new Dictionary<string, string> { ["MITTEN_JOB_DIR"] = control, ["MITTEN_TRACE"] = "1" });

            var (counts, details) = Analyze(control, logs, ranks, iterations, job);
            var problems = new List<string>();
            if (job.TimedOut)
            {
                problems.Add("hangs=1 (the job did not end within 240 s)");
            }
            else if (job.ExitCode != 0)
            {
                problems.Add($"exit code {job.ExitCode}");
            }
            foreach (string key in new[] { "lost_requests", "unresolved", "conflicting", "no_outcome_file", "lost_messages", "duplicated", "reordered", "corrupted", "wrong_results" })
            {
                if (counts[key] != 0)
                {
                    problems.Add($"{key}={counts[key]}");
                }
            }
            if (counts["requests"] != requests)
            {
                problems.Add($"requests={counts["requests"]}, expected {requests} issued");
            }
            if (!job.TimedOut && counts["ranks_finished"] != ranks)
            {
                problems.Add($"ranks_finished={counts["ranks_finished"]} of {ranks}");
            }
            if (counts["committed"] == 0)
            {
                problems.Add("no migration committed");
            }
            Assert.True(problems.Count == 0,
                $"soak seed {seed}: {string.Join(", ", problems)}\ncounts: {string.Join(" ", counts.Select(kv => $"{kv.Key}={kv.Value}"))}\n" +
                string.Join("\n", details.Take(40)) + "\n" + job.Describe());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs <c>Soak analyze</c> on the job's files: its counts and detail lines.</summary>
    private static (Dictionary<string, long> Counts, List<string> Details) Analyze(string control, string logs, int ranks, int iterations, MpiJob job)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "analyze", "--control", control, "--logs", logs, "--ranks", Str(ranks), "--iterations", Str(iterations),
                     "--exit-code", Str(job.ExitCode), "--hung", job.TimedOut ? "1" : "0" })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000) && process.ExitCode == 0, "Soak analyze failed: " + errors + output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string summary = lines.Single(l => l.StartsWith("soak-job:", StringComparison.Ordinal));
        var counts = summary["soak-job:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
        return (counts, lines.Where(l => l.StartsWith("detail:", StringComparison.Ordinal)).ToList());
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
