using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mitten.Bench.Checkpoint;
using Mitten.Checkpoint.State;
using Perfolizer.Horology;

// Checkpoint cost benchmark on BenchmarkDotNet (see RESULTS-checkpoint.md for the method).
//   bench/Checkpoint/run.sh [rounds=3] [--in-process] [--only array|graph|dissertation]
// Each round runs every benchmark once through BenchmarkDotNet; the rounds alternate the
// benchmarks, so a quiet or busy minute of the shared machine touches all of them. Per round,
//   X = median(TwoMemcpy) / median(SaveRestore)                         (ArrayBenchmarks)
//   Y = median(SystemTextJson) / median(StateStream)      (JsonGraphBenchmarks, StateGraphBenchmarks)
// from BenchmarkDotNet's statistics; the figures printed are the medians over the rounds.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int rounds = args.Length > 0 && int.TryParse(args[0], out int r0) ? r0 : 3;
bool outOfProcess = !args.Contains("--in-process");
int onlyAt = Array.IndexOf(args, "--only");
string? only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null;
string results = Path.GetFullPath(Environment.GetEnvironmentVariable("MITTEN_BENCH_RESULTS") ?? "bench/results");
string artifacts = Path.Combine(results, "tmp", "checkpoint-bdn");
Directory.CreateDirectory(artifacts);
string logPath = Path.Combine(artifacts, "benchmarkdotnet.log");
File.Delete(logPath);

// Large operations (tens of ms to seconds): one operation per iteration, so the per-iteration
// setup (a GC.Collect) runs before every measured operation. Small ones: BenchmarkDotNet's pilot
// picks how many operations fill 100 ms.
Job large = Job.Default.WithId("large").WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5)
    .WithInvocationCount(1).WithUnrollFactor(1).WithGcServer(false).WithGcConcurrent(false);
Job largeMany = large.WithId("large-many").WithIterationCount(15);
Job small = Job.Default.WithId("small").WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7)
    .WithIterationTime(TimeInterval.FromMilliseconds(100)).WithGcServer(false).WithGcConcurrent(false);
if (!outOfProcess)
{
    large = large.WithToolchain(InProcessEmitToolchain.Instance);
    small = small.WithToolchain(InProcessEmitToolchain.Instance);
    largeMany = largeMany.WithToolchain(InProcessEmitToolchain.Instance);
}

var medians = new List<Dictionary<string, double>>();   // per round: "Class.Method[/Case]" -> median ns
var memory = new Dictionary<string, string>();          // last round's memory diagnoser figures
using (var log = new StreamWriter(logPath, append: true))
{
    var logger = new FileAndProgressLogger(log);
    for (int round = 1; round <= rounds; round++)
    {
        Console.Error.WriteLine($"[checkpoint] round {round}/{rounds} ({(outOfProcess ? "out-of-process" : "in-process")} toolchain; full log: {logPath})");
        var runs = new List<BenchmarkRunInfo>();
        if (only is null or "array")
        {
            runs.Add(BenchmarkConverter.TypeToBenchmarks(typeof(ArrayBenchmarks), Config(largeMany, logger, artifacts)));
        }
        if (only is null or "graph")
        {
            runs.Add(BenchmarkConverter.TypeToBenchmarks(typeof(JsonGraphBenchmarks), Config(large, logger, artifacts)));
            runs.Add(BenchmarkConverter.TypeToBenchmarks(typeof(StateGraphBenchmarks), Config(largeMany, logger, artifacts)));
        }
        if (only is null or "dissertation")
        {
            runs.Add(BenchmarkConverter.TypeToBenchmarks(typeof(DissertationBenchmarks), Config(small, logger, artifacts)));
        }
        Summary[] summaries = BenchmarkRunner.Run([.. runs]);
        var found = new Dictionary<string, double>();
        foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
        {
            string key = Key(report);
            found[key] = report.ResultStatistics?.Median
                ?? throw new InvalidOperationException($"{key} gave no result (see {logPath})");
            GcStats gc = report.GcStats;
            if (gc.TotalOperations > 0 && report.BenchmarkCase.Config.HasMemoryDiagnoser())
            {
                double ops = gc.TotalOperations;
                memory[key] = FormattableString.Invariant(
                    $"{(gc.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0) / 1e6:F1} MB allocated, GCs gen0/1/2 {gc.Gen0Collections / ops:F2}/{gc.Gen1Collections / ops:F2}/{gc.Gen2Collections / ops:F2} per op");
            }
        }
        medians.Add(found);
        Console.Error.WriteLine($"[checkpoint] round {round}: X={Ratio(found, "ArrayBenchmarks.TwoMemcpy", "ArrayBenchmarks.SaveRestore"):F2} Y={Ratio(found, "JsonGraphBenchmarks.SystemTextJson", "StateGraphBenchmarks.StateStream"):F1}");
    }
}
if (only is not null)
{
    // A partial run (for before/after comparisons): the medians of what ran, no summary line.
    foreach (string key in medians[0].Keys.Order(StringComparer.Ordinal))
    {
        double[] ms = medians.Select(m => m[key] / 1e6).ToArray();
        Console.WriteLine(FormattableString.Invariant($"{key}: median {Median(ms):F2} ms, rounds {string.Join(" ", ms.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))}"));
    }
    foreach (var (key, figures) in memory.OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"{key}: {figures}");
    }
    if (only == "array")
    {
        double[] partialX = medians.Select(m => Ratio(m, "ArrayBenchmarks.TwoMemcpy", "ArrayBenchmarks.SaveRestore")).ToArray();
        Console.WriteLine(FormattableString.Invariant($"array only: array_vs_memcpy={Median(partialX):F2} (rounds {Join(partialX, "F2")})"));
    }
    return 0;
}

// Stream sizes, measured here so that they are known with either toolchain.
var types = new StateTypeRegistry().Register<Node>();
Node tree = Node.SharedTree(1_000_000, out int distinct, out int sharedRefs);
long stateBytes = SavedBytes(tree, types);
var jsonOptions = new JsonSerializerOptions { ReferenceHandler = ReferenceHandler.Preserve, IncludeFields = true, MaxDepth = 1024 };
long jsonBytes = JsonSerializer.SerializeToUtf8Bytes(tree, jsonOptions).LongLength;
tree = null!;
var matrix = new double[1000, 1000];
long matrixBytes = SavedBytes(matrix, types);
long bitonicBytes = SavedBytes(Node.Complete(8192), types);

var csv = new StringBuilder("round,benchmark,median_ms\n");
for (int i = 0; i < medians.Count; i++)
{
    foreach (var (key, ns) in medians[i].OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        csv.Append(FormattableString.Invariant($"{i + 1},{key},{ns / 1e6:F4}\n"));
    }
}
Directory.CreateDirectory(results);
File.WriteAllText(Path.Combine(results, "checkpoint.csv"), csv.ToString());

double[] xs = medians.Select(m => Ratio(m, "ArrayBenchmarks.TwoMemcpy", "ArrayBenchmarks.SaveRestore")).ToArray();
double[] xCold = medians.Select(m => Ratio(m, "ArrayBenchmarks.TwoMemcpy", "ArrayBenchmarks.SaveRestoreOnFreshPages")).ToArray();
double[] xOne = medians.Select(m => Ratio(m, "ArrayBenchmarks.OneMemcpy", "ArrayBenchmarks.SaveRestore")).ToArray();
double[] ys = medians.Select(m => Ratio(m, "JsonGraphBenchmarks.SystemTextJson", "StateGraphBenchmarks.StateStream")).ToArray();

Console.WriteLine($"BenchmarkDotNet 0.14.0, {(outOfProcess ? "default (out-of-process)" : "InProcessEmit")} toolchain, {rounds} rounds; each cell: median over the rounds of BenchmarkDotNet's median (min-max over the rounds), ms");
Console.WriteLine();
Console.WriteLine("| benchmark | bytes | median ms | rounds min-max ms |");
Console.WriteLine("|---|---|---|---|");
Row("64 MiB double[]: two memcpys (baseline)", "ArrayBenchmarks.TwoMemcpy", 64L << 20);
Row("64 MiB double[]: one memcpy", "ArrayBenchmarks.OneMemcpy", 64L << 20);
Row("64 MiB double[]: save+restore", "ArrayBenchmarks.SaveRestore", 64L << 20);
Row("64 MiB double[]: save", "ArrayBenchmarks.Save", 64L << 20);
Row("64 MiB double[]: restore", "ArrayBenchmarks.Restore", 64L << 20);
Row("64 MiB double[]: save+restore, restore on never-touched pages", "ArrayBenchmarks.SaveRestoreOnFreshPages", 64L << 20);
Row($"1M-node shared tree ({distinct} nodes, {sharedRefs} shared refs): System.Text.Json Preserve", "JsonGraphBenchmarks.SystemTextJson", jsonBytes);
Row("1M-node shared tree: state stream save+restore", "StateGraphBenchmarks.StateStream", stateBytes);
Row("1M-node shared tree: state stream save", "StateGraphBenchmarks.StateSave", stateBytes);
Row("1M-node shared tree: state stream restore", "StateGraphBenchmarks.StateRestore", stateBytes);
Console.WriteLine();
Console.WriteLine($"array_vs_memcpy per round: {Join(xs, "F2")} (against one memcpy: {Join(xOne, "F2")}; restore on never-touched pages: {Join(xCold, "F2")})");
Console.WriteLine($"graph_vs_json per round: {Join(ys, "F1")}");
foreach (var (key, figures) in memory.OrderBy(p => p.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"{key}: {figures}");
}
Console.WriteLine();
Console.WriteLine("| case | bytes | collect ms | transfer ms | restore ms | total ms | pipelined total ms |");
Console.WriteLine("|---|---|---|---|---|---|---|");
Case(DissertationBenchmarks.Matrix, matrixBytes);
Case(DissertationBenchmarks.Tree, bitonicBytes);
Console.WriteLine();
Console.WriteLine(FormattableString.Invariant($"checkpoint: array_vs_memcpy={Median(xs):F2} graph_vs_json={Median(ys):F1}"));
return 0;

void Row(string name, string key, long bytes)
{
    double[] ms = medians.Select(m => m[key] / 1e6).ToArray();
    Console.WriteLine(FormattableString.Invariant($"| {name} | {bytes} | {Median(ms):F2} | {ms.Min():F2}-{ms.Max():F2} |"));
}

void Case(string name, long bytes)
{
    string Cell(string method)
    {
        double[] ms = medians.Select(m => m[$"DissertationBenchmarks.{method}/{name}"] / 1e6).ToArray();
        return FormattableString.Invariant($"{Median(ms):F2} ({ms.Min():F2}-{ms.Max():F2})");
    }
    Console.WriteLine($"| {name} | {bytes} | {Cell("Collect")} | {Cell("Transfer")} | {Cell("Restore")} | {Cell("Total")} | {Cell("Pipelined")} |");
}

static IConfig Config(Job job, ILogger logger, string artifacts) => ManualConfig.CreateEmpty()
    .AddJob(job)
    .AddLogger(logger)
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .WithArtifactsPath(artifacts)
    .WithOptions(ConfigOptions.DisableLogFile);

static string Key(BenchmarkReport report)
{
    var c = report.BenchmarkCase;
    string key = $"{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}";
    return c.HasParameters ? key + "/" + c.Parameters.Items[0].Value : key;
}

static double Ratio(Dictionary<string, double> m, string over, string under) =>
    m.TryGetValue(over, out double a) && m.TryGetValue(under, out double b) ? a / b : double.NaN;

static double Median(IEnumerable<double> values)
{
    double[] sorted = values.Order().ToArray();
    int n = sorted.Length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static string Join(double[] values, string format) => string.Join(" ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

static long SavedBytes<T>(T state, StateTypeRegistry types)
{
    var stream = new MemoryStream();
    StateSerializer.Save(state, stream, types);
    return stream.Length;
}

/// <summary>Writes BenchmarkDotNet's output to a file and only its headline lines to standard error.</summary>
internal sealed class FileAndProgressLogger(StreamWriter file) : ILogger
{
    public string Id => nameof(FileAndProgressLogger);

    public int Priority => 0;

    public void Write(LogKind logKind, string text) => file.Write(text);

    public void WriteLine() => file.WriteLine();

    public void WriteLine(LogKind logKind, string text)
    {
        file.WriteLine(text);
        if (logKind == LogKind.Header && text.StartsWith("// Benchmark:", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("[checkpoint] " + text[3..]);
        }
        else if (logKind == LogKind.Error)
        {
            Console.Error.WriteLine("[checkpoint] " + text);
        }
    }

    public void Flush() => file.Flush();
}
