using System.Globalization;

namespace Mitten.Bench.IS;

/// <summary>The original's printout (c_print_results), plus one machine-readable RESULT line.</summary>
public static class IsReport
{
    /// <summary>The banner printed before the run.</summary>
    public static void Header(IsClass problem, int iterations, int processes)
    {
        Console.WriteLine();
        Console.WriteLine(" NAS Parallel Benchmarks - IS Benchmark (Mitten C# port of the MPI version)");
        Console.WriteLine();
        Console.WriteLine(Invariant($" Size:  {problem.TotalKeys}  (class {problem.Name})"));
        Console.WriteLine(Invariant($" Iterations:   {iterations}"));
        Console.WriteLine(Invariant($" Number of processes:     {processes}"));
        Console.WriteLine();
    }

    /// <summary>The report printed after the run.</summary>
    public static void Results(IsClass problem, IsResult result)
    {
        Console.WriteLine();
        Console.WriteLine(" IS Benchmark Completed");
        Line("Class", problem.Name.ToString());
        Line("Size", Invariant($"{problem.TotalKeys}"));
        Line("Iterations", Invariant($"{result.Iterations}"));
        Line("Time in seconds", Invariant($"{result.Seconds:F2}"));
        Line("Total processes", Invariant($"{result.Processes}"));
        Line("Mop/s total", Invariant($"{result.MopsTotal:F2}"));
        Line("Mop/s/process", Invariant($"{result.MopsTotal / result.Processes:F2}"));
        Line("Operation type", "keys ranked");
        Line("Verification", result.Verified ? "SUCCESSFUL" : "UNSUCCESSFUL");
        Line("Passed tests", Invariant($"{result.Passed} of {result.Expected}"));
        Console.WriteLine();
        Console.WriteLine(ResultLine(problem, result));
    }

    /// <summary>
    /// The machine-readable line: RESULT class= ranks= iterations= seconds= mops= mops_per_process=
    /// verified= passed= expected= allocated_bytes= key_rank_checksum=
    /// </summary>
    public static string ResultLine(IsClass problem, IsResult result) => Invariant(
        $"RESULT class={problem.Name} ranks={result.Processes} iterations={result.Iterations} seconds={result.Seconds:F6} mops={result.MopsTotal:F2} mops_per_process={result.MopsTotal / result.Processes:F2} verified={(result.Verified ? "yes" : "no")} passed={result.Passed} expected={result.Expected} allocated_bytes={result.TimedLoopAllocatedBytes} key_rank_checksum={result.KeyRankChecksum}");

    /// <summary>
    /// One run of several in a job (option --repeats), in the format of the C baseline
    /// (bench/native/is.c): "RESULT impl=csharp rep=R class=... seconds=... mops=...".
    /// </summary>
    public static void RepetitionLine(IsClass problem, IsResult result, int repetition)
    {
        Console.WriteLine(Invariant($"RESULT impl=csharp rep={repetition} ") + ResultLine(problem, result)["RESULT ".Length..]);
        Console.Out.Flush();
    }

    private static void Line(string name, string value) => Console.WriteLine($" {name,-15} = {value,24}");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
