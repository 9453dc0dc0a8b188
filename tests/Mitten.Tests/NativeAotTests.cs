using System.Diagnostics;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// NAS IS published with Native AOT (<c>dotnet publish -p:MittenAot=true</c>, README "Publishing
/// with Native AOT") migrates: a spawned replacement is the AOT program itself
/// (Environment.ProcessPath), the state goes through the source-generated codec (made without
/// reflection), the warm-ups skip their compiling, and a warm spare takes over too. The program
/// is published by scripts/publish-is-aot.sh into bench/IS/bin/aot-test, again only when a source
/// it is built from changed. Skipped, saying why, when this machine
/// has no C compiler to link with or the ILCompiler packages cannot be restored.
/// </summary>
public sealed class NativeAotTests
{
    private static readonly Lazy<(string? Program, string? SkipReason)> Published = new(Publish);

    [Fact]
    public void An_AOT_program_spawns_itself_as_the_replacement_and_verifies()
    {
        string program = AotProgram();
        var job = MpiJob.Run(4, program, ["--class", "S", "--mitten", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_STARTUP_REPORT"] = "1", ["MITTEN_SPARES"] = "0" });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        string migration = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("outcome=Committed", migration);
        Assert.DoesNotContain("spare_taken_ms=", migration);
        // The replacement started (the spawned AOT program reached MittenSession.Start) and restored.
        Assert.Contains("mitten-startup replacement pid=", job.Stderr);
        Assert.Contains("replacement: state restored", job.Stderr);
        // The original ranks skipped the codec's compiling round trip (nothing to compile under AOT).
        Assert.Contains("codec=aot", job.Stderr);
    }

    [Fact]
    public void An_AOT_program_migrates_to_a_warm_spare_and_verifies()
    {
        string program = AotProgram();
        var job = MpiJob.Run(4, program, ["--class", "S", "--mitten", "--migrate", "1@3"], TimeSpan.FromSeconds(180), null,
            new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_SPARES"] = "1" });
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"RESULT .*verified=yes", job.Stdout);
        string migration = Assert.Single(job.LinesStartingWith("MIGRATION rank=1 "));
        Assert.Contains("outcome=Committed", migration);
        Assert.Contains("spare_taken_ms=", migration);
    }

    private static string AotProgram()
    {
        (string? program, string? skip) = Published.Value;
        if (program is null)
        {
            throw Xunit.Sdk.SkipException.ForSkip(skip!);
        }
        return program;
    }

    /// <summary>
    /// Publishes bench/IS with Native AOT through scripts/publish-is-aot.sh (the same script
    /// `scripts/bench.sh migration --aot` uses), which does nothing when the copy there was built
    /// from the same sources. Its exit status 3 means this machine cannot publish with AOT.
    /// </summary>
    private static (string? Program, string? SkipReason) Publish()
    {
        string root = MpiJob.RepositoryRoot;
        string output = Path.Combine(root, "bench", "IS", "bin", "aot-test");
        var psi = new ProcessStartInfo(Path.Combine(root, "scripts", "publish-is-aot.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        psi.ArgumentList.Add(output);
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(11)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("scripts/publish-is-aot.sh took more than 11 minutes");
        }
        string program = stdout.Result.Trim();
        return process.ExitCode switch
        {
            0 when File.Exists(program) => (program, null),
            3 => (null, "this machine cannot publish with Native AOT:\n" + stderr.Result),
            _ => throw new Xunit.Sdk.XunitException(
                $"scripts/publish-is-aot.sh exited with {process.ExitCode} (program '{program}'):\n{stderr.Result}"),
        };
    }
}
