using System.Reflection.PortableExecutable;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// The programs that run under mpiexec are built with precompiled code (ReadyToRun,
/// MittenReadyToRun in Directory.Build.props and src/Mitten/buildTransitive): their own assembly
/// and every Mitten assembly they ship carry native code, so a spawned replacement does not JIT
/// its start, MPI_Init path, restore and protocol. The libraries' own build output stays IL-only
/// (the check below must tell the two apart), and a precompiled program still migrates and verifies.
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
    public void Program_and_Mitten_assemblies_carry_precompiled_code(string project, string name)
    {
        string output = Path.Combine(MpiJob.RepositoryRoot, project, "bin", MpiJob.Configuration, "net10.0");
        foreach (string assembly in MittenAssemblies.Append(name))
        {
            string path = Path.Combine(output, assembly + ".dll");
            Assert.True(File.Exists(path), $"{path} is missing");
            Assert.True(IsReadyToRun(path), $"{path} has no ReadyToRun code (built with -p:MittenReadyToRun=false, or the ReadyToRun step did not run)");
        }
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
        Assert.True(IsReadyToRun(program + ".dll"), $"{program}.dll has no ReadyToRun code");
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
