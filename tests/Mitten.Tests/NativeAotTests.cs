using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// NAS IS published with Native AOT (<c>dotnet publish -p:MittenAot=true</c>, README "Publishing
/// with Native AOT") migrates: a spawned replacement is the AOT program itself
/// (Environment.ProcessPath), the state goes through the source-generated codec (made without
/// reflection), the warm-ups skip their compiling, and a warm spare takes over too. The program
/// is published once per test run into bench/IS/bin/aot-test and again only when a source it is
/// built from changed (a content hash is kept next to it). Skipped, saying why, when this machine
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

    /// <summary>Publishes bench/IS with Native AOT unless the copy there was built from the same sources.</summary>
    private static (string? Program, string? SkipReason) Publish()
    {
        string root = MpiJob.RepositoryRoot;
        string? linker = OnPath("clang") ?? OnPath("gcc");
        if (linker is null)
        {
            return (null, "Native AOT needs clang or gcc to link; neither is on PATH");
        }
        string output = Path.Combine(root, "bench", "IS", "bin", "aot-test");
        string program = Path.Combine(output, "IS");
        string stampFile = Path.Combine(output, ".source-hash");
        string stamp = SourceHash(root);
        if (File.Exists(program) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp)
        {
            return (program, null);
        }
        Directory.CreateDirectory(output);
        File.Delete(stampFile);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (string a in new[] { "publish", "bench/IS/IS.csproj", "-c", "Release", "-p:MittenAot=true", "-o", output, "-nologo", "-v", "q" })
        {
            psi.ArgumentList.Add(a);
        }
        if (Path.GetFileName(linker) == "gcc")
        {
            psi.ArgumentList.Add("-p:CppCompilerAndLinker=gcc");
        }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(6)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet publish -p:MittenAot=true of bench/IS took more than 6 minutes");
        }
        string log = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            // A missing toolchain package is this machine's limit; anything else (a warning made
            // an error, a compile error) is a defect the test reports.
            if (log.Contains("NU1101", StringComparison.Ordinal) || log.Contains("NU1102", StringComparison.Ordinal) || log.Contains("NETSDK1094", StringComparison.Ordinal))
            {
                return (null, "the ILCompiler (Native AOT) packages cannot be restored here:\n" + log);
            }
            Assert.Fail("dotnet publish -p:MittenAot=true of bench/IS failed:\n" + log);
        }
        File.WriteAllText(stampFile, stamp);
        return (program, null);
    }

    /// <summary>A hash of the files the AOT program is built from (sources, projects and build settings of src, bench/IS and bench/Common).</summary>
    private static string SourceHash(string root)
    {
        var files = new List<string>();
        foreach (string folder in new[] { "src", "bench/IS", "bench/Common" })
        {
            files.AddRange(Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal)
                    || f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal))
                .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal)));
        }
        files.AddRange(new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" }.Select(f => Path.Combine(root, f)));
        files.Sort(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
