using System.Globalization;

namespace Mitten.Bench.MG;

/// <summary>The original's printout (print_results), plus one machine-readable RESULT line.</summary>
public static class MgReport
{
    /// <summary>The banner printed before the run.</summary>
    public static void Header(MgClass problem, int processes, string processGrid)
    {
        Console.WriteLine();
        Console.WriteLine(" NAS Parallel Benchmarks - MG Benchmark (Mitten C# port of the MPI version)");
        Console.WriteLine();
        Console.WriteLine(Invariant($" Size:  {problem.Size}x{problem.Size}x{problem.Size}  (class {problem.Name})"));
        Console.WriteLine(Invariant($" Iterations:   {problem.Iterations}"));
        Console.WriteLine(Invariant($" Number of processes:     {processes}"));
        Console.WriteLine(" Process grid:  " + processGrid + " (extents z, y, x; periodic)");
        Console.WriteLine();
    }

    /// <summary>The report printed after the run.</summary>
    public static void Results(MgClass problem, MgResult result, string processGrid)
    {
        Console.WriteLine();
        Console.WriteLine(" MG Benchmark Completed");
        Line("Class", problem.Name.ToString());
        Line("Size", Invariant($"{problem.Size}x{problem.Size}x{problem.Size}"));
        Line("Iterations", Invariant($"{result.Iterations}"));
        Line("Time in seconds", Invariant($"{result.Seconds:F2}"));
        Line("Total processes", Invariant($"{result.Processes}"));
        Line("Mop/s total", Invariant($"{result.MopsTotal:F2}"));
        Line("Mop/s/process", Invariant($"{result.MopsTotal / result.Processes:F2}"));
        Line("Operation type", "floating point");
        Line("Verification", result.Verified ? "SUCCESSFUL" : "UNSUCCESSFUL");
        Console.WriteLine(Invariant($" L2 Norm is           {result.Rnm2:E13}"));
        Console.WriteLine(Invariant($" Reference value is   {problem.VerificationValue:E13}"));
        Console.WriteLine(Invariant($" Error is             {Math.Abs(result.Rnm2 - problem.VerificationValue) / problem.VerificationValue:E13}"));
        Console.WriteLine();
        Console.WriteLine(ResultLine(problem, result, processGrid));
    }

    /// <summary>
    /// RESULT class= ranks= iterations= seconds= mops= mops_per_process= verified= rnm2= rnmu= allocated_bytes= grid=
    /// (rnm2 and rnmu printed in full, round-trip precision, so runs can be compared bit for bit;
    /// grid: the Cartesian communicator the halo exchange ran on, <see cref="IMgCommunicator.ProcessGrid"/>).
    /// </summary>
    public static string ResultLine(MgClass problem, MgResult result, string processGrid) => Invariant(
        $"RESULT class={problem.Name} ranks={result.Processes} iterations={result.Iterations} seconds={result.Seconds:F6} mops={result.MopsTotal:F2} mops_per_process={result.MopsTotal / result.Processes:F2} verified={(result.Verified ? "yes" : "no")} rnm2={result.Rnm2:R} rnmu={result.Rnmu:R} allocated_bytes={result.TimedLoopAllocatedBytes} grid={processGrid}");

    /// <summary>
    /// One run of several in a job (option --repeats), in the format of the C baseline
    /// (bench/native/mg.c): "RESULT impl=csharp rep=R class=... seconds=... mops=... rnm2=...".
    /// </summary>
    public static void RepetitionLine(MgClass problem, MgResult result, int repetition, string processGrid) => Console.WriteLine(
        Invariant($"RESULT impl=csharp rep={repetition} ") + ResultLine(problem, result, processGrid)["RESULT ".Length..]);

    private static void Line(string name, string value) => Console.WriteLine($" {name,-15} = {value,24}");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
