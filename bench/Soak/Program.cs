using Mitten.Bench.Soak;

// The soak benchmark's program (driven by bench/Soak/run.sh through scripts/bench.sh soak).
//   Soak run [--seed S] [--iterations N] [--requests Q] [--log-dir DIR] [--no-migrations] ...   under mpiexec
//   Soak plan [--seed S] ...                                      prints the job's derived parameters
//   Soak analyze --control DIR --logs DIR --ranks R --iterations N --exit-code X [--hung 1]
//                                                                 counts one finished (or killed) job
// One write() per line (mpiexec would interleave pieces of long lines from different ranks).
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { AutoFlush = true });
string command = args.Length > 0 ? args[0] : "";
try
{
    switch (command)
    {
        case "run":
            return SoakRun.Run(SoakShape.Parse(args, 1));
        case "plan":
            Console.WriteLine(SoakShape.Parse(args, 1).Describe());
            return 0;
        case "analyze":
            return SoakAnalysis.Analyze(args[1..]);
        default:
            Console.Error.WriteLine("usage: Soak run|plan|analyze [options] (see the top of bench/Soak/Program.cs; the benchmark: bench/Soak/run.sh)");
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("soak: " + e.Message);
    return 2;
}
