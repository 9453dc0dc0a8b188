using System.Reflection.PortableExecutable;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The programs that run under mpiexec are built with precompiled code (ReadyToRun,
/// MittenReadyToRun in Directory.Build.props and src/Mitten/buildTransitive): every Mitten
/// assembly they ship carries native code, so a spawned replacement does not JIT Mitten's start,
/// MPI_Init path, restore and protocol; the program's own assembly stays IL-only (its kernels are
/// left to the JIT's tiers unless MittenReadyToRunApplication=true). The libraries' own build
/// output is IL-only too (the check must tell the two apart), and a precompiled program still
/// migrates by spawning and verifies.
/// </summary>
public class ReadyToRunTests
{
    private static readonly string[] MittenAssemblies = ["Mitten", "Mitten.GroupComm", "Mitten.Checkpoint", "Mitten.ControlDirectory"];

    public static TheoryData<string, string> Programs() => new()
    {
        { "bench/IS", "IS" },
        { "bench/MG", "MG" },
        { "tests/Drivers/MittenDriver", "MittenDriver" },
        { "examples/Heat1D", "Heat1D" },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void Mitten_assemblies_carry_precompiled_code_and_the_program_stays_IL(string project, string name)
    {
        string output = Path.Combine(MpiJob.RepositoryRoot, project, "bin", MpiJob.Configuration, "net10.0");
        foreach (string assembly in MittenAssemblies)
        {
            string path = Path.Combine(output, assembly + ".dll");
            Assert.True(File.Exists(path), $"{path} is missing");
            Assert.True(IsReadyToRun(path), $"{path} has no ReadyToRun code (built with -p:MittenReadyToRun=false, or the ReadyToRun step did not run)");
        }
        string program = Path.Combine(output, name + ".dll");
        Assert.True(File.Exists(program), $"{program} is missing");
        Assert.False(IsReadyToRun(program), $"{program} has ReadyToRun code although MittenReadyToRunApplication is not set");
    }

    [Fact]
    public void A_library_build_output_is_IL_only()
    {
        // The check itself can fail: Mitten's own bin/ is the compiler's IL-only output.
        string path = Path.Combine(MpiJob.RepositoryRoot, "src", "Mitten", "bin", MpiJob.Configuration, "net10.0", "Mitten.dll");
        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.False(IsReadyToRun(path), $"{path} unexpectedly has ReadyToRun code");
    }

    [Fact]
    public void A_precompiled_program_migrates_by_spawning_and_verifies()
    {
        // IS class S on 4 ranks, rank 2 moving at iteration 3 with no spare: the replacement is
        // spawned from the precompiled program and must restore, commit and verify.
        string program = Path.Combine(MpiJob.RepositoryRoot, "bench", "IS", "bin", MpiJob.Configuration, "net10.0", "IS");
        Assert.True(IsReadyToRun(Path.Combine(Path.GetDirectoryName(program)!, "Mitten.dll")), "the IS build's Mitten.dll has no ReadyToRun code");
        var job = MpiJob.Run(4, program, ["--class", "S", "--migrate", "2@3"], TimeSpan.FromSeconds(90));
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Matches(@"(?m)^ Verification\s+=\s+SUCCESSFUL$", job.Stdout);
        string migration = Assert.Single(job.LinesStartingWith("MIGRATION rank="));
        Assert.StartsWith("2 ", migration); // the line after "MIGRATION rank="
        Assert.Contains("outcome=Committed", migration);
        Assert.Contains(" spawned_ms=", migration);
    }

    /// <summary>True when the PE file's CLI header points at a ReadyToRun (managed native) header.</summary>
    internal static bool IsReadyToRun(string path)
    {
        using var reader = new PEReader(File.OpenRead(path));
        CorHeader? header = reader.PEHeaders.CorHeader;
        return header is not null && header.ManagedNativeHeaderDirectory.Size > 0;
    }
}
