using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mitten.Checkpoint.State;

// Checkpoint cost benchmark (Stopwatch harness: variants alternate, medians are reported).
//   array_vs_memcpy: 64 MiB double[] save+restore through a MemoryStream vs one Buffer.MemoryCopy.
//   graph_vs_json:   1,000,000-node binary tree with shared subtrees, System.Text.Json
//                    (ReferenceHandler.Preserve) serialize+deserialize vs this library's save+restore.
//   dissertation:    1000x1000 double matrix and 8192-node binary tree moved through a local TCP socket:
//                    collect, transfer, restore, total.
int reps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
int jsonReps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var types = new StateTypeRegistry().Register<Node>();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// ---- array_vs_memcpy -----------------------------------------------------------------------
const int Doubles = 64 * 1024 * 1024 / 8;
double[] source = new double[Doubles];
for (int i = 0; i < source.Length; i++)
{
    source[i] = i * 1.000001;
}
double[] copy = new double[Doubles];
var stream = new MemoryStream(Doubles * 8 + 1024 * 1024);
var memcpy = new List<double>();
var saveRestore = new List<double>();
for (int r = 0; r < reps + 1; r++)
{
    long t0 = Stopwatch.GetTimestamp();
    unsafe
    {
        fixed (double* s = source, d = copy)
        {
            Buffer.MemoryCopy(s, d, (long)Doubles * 8, (long)Doubles * 8);
        }
    }
    double m = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    stream.Position = 0;
    t0 = Stopwatch.GetTimestamp();
    StateSerializer.Save(source, stream, types);
    stream.Position = 0;
    double[] back = StateSerializer.Restore<double[]>(stream, types);
    double sr = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    if (back[^1] != source[^1] || back[12345] != source[12345])
    {
        throw new InvalidOperationException("array round trip differs");
    }
    if (r > 0) // the first round warms up
    {
        memcpy.Add(m);
        saveRestore.Add(sr);
    }
}
double memcpyMs = Median(memcpy), saveRestoreMs = Median(saveRestore);
double arrayRatio = memcpyMs / saveRestoreMs;
Console.Error.WriteLine($"64 MiB double[]: memcpy {memcpyMs:F2} ms ({64 / memcpyMs * 1000 / 1024:F2} GiB/s), save+restore {saveRestoreMs:F2} ms ({64 / saveRestoreMs * 1000 / 1024:F2} GiB/s)");

// Also: save alone and restore alone.
var saveOnly = new List<double>();
var restoreOnly = new List<double>();
for (int r = 0; r < reps; r++)
{
    stream.Position = 0;
    long t0 = Stopwatch.GetTimestamp();
    StateSerializer.Save(source, stream, types);
    saveOnly.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    stream.Position = 0;
    t0 = Stopwatch.GetTimestamp();
    StateSerializer.Restore<double[]>(stream, types);
    restoreOnly.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
}
Console.Error.WriteLine($"64 MiB double[]: save {Median(saveOnly):F2} ms, restore {Median(restoreOnly):F2} ms");
source = copy = [];
stream = new MemoryStream();
GC.Collect();

// ---- graph_vs_json --------------------------------------------------------------------------
Node tree = Node.SharedTree(1_000_000, out int distinct);
var json = new JsonSerializerOptions { ReferenceHandler = ReferenceHandler.Preserve, IncludeFields = true, MaxDepth = 1024 };
var jsonTimes = new List<double>();
var mineTimes = new List<double>();
long jsonBytes = 0, mineBytes = 0;
for (int r = 0; r < jsonReps + 1; r++)
{
    GC.Collect();
    long t0 = Stopwatch.GetTimestamp();
    byte[] text = JsonSerializer.SerializeToUtf8Bytes(tree, json);
    Node? j = JsonSerializer.Deserialize<Node>(text, json);
    double jt = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    jsonBytes = text.Length;
    text = [];
    Check(j!, distinct);
    j = null;
    GC.Collect();
    var ms = new MemoryStream();
    t0 = Stopwatch.GetTimestamp();
    StateSerializer.Save(tree, ms, types);
    ms.Position = 0;
    Node mine = StateSerializer.Restore<Node>(ms, types);
    double mt = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    mineBytes = ms.Length;
    Check(mine, distinct);
    if (r > 0)
    {
        jsonTimes.Add(jt);
        mineTimes.Add(mt);
    }
}
double jsonMs = Median(jsonTimes), mineMs = Median(mineTimes);
{
    var ms = new MemoryStream();
    StateSaveReport saved = StateSerializer.Save(tree, ms, types, new StateWriteOptions());
    ms.Position = 0;
    StateSerializer.Restore<Node>(ms, types, null, out StateRestoreReport restored);
    Console.Error.WriteLine($"1,000,000-node tree: save {saved.CollectTime.TotalMilliseconds + saved.TransferTime.TotalMilliseconds:F0} ms, restore {restored.RestoreTime.TotalMilliseconds + restored.TransferTime.TotalMilliseconds:F0} ms");
}
double graphRatio = jsonMs / mineMs;
Console.Error.WriteLine($"1,000,000-node tree ({distinct} distinct nodes, shared subtrees): System.Text.Json {jsonMs:F0} ms ({jsonBytes / 1e6:F1} MB), state stream {mineMs:F0} ms ({mineBytes / 1e6:F1} MB)");
tree = null!;
GC.Collect();

// ---- the dissertation's two cases through a local socket ------------------------------------
var matrix = new double[1000, 1000];
for (int i = 0; i < 1000; i++)
{
    for (int k = 0; k < 1000; k++)
    {
        matrix[i, k] = Math.Sin(i) * k;
    }
}
Node bitonic = Node.Complete(8192);
Console.WriteLine("| case | bytes | collect ms | transfer ms | restore ms | total ms | pipelined total ms |");
Console.WriteLine("|---|---|---|---|---|---|---|");
Console.WriteLine(Socketed("1000x1000 double matrix", matrix, types, reps));
Console.WriteLine(Socketed("8192-node binary tree", bitonic, types, reps));
Console.WriteLine($"| 64 MiB double[] save+restore vs memcpy | {64L << 20} | memcpy {memcpyMs:F2} | | save+restore {saveRestoreMs:F2} | | |");
Console.WriteLine($"| 1M-node shared tree, STJ Preserve vs state stream | {mineBytes} | STJ {jsonMs:F0} | | state {mineMs:F0} | | |");
Console.WriteLine(FormattableString.Invariant($"checkpoint: array_vs_memcpy={arrayRatio:F2} graph_vs_json={graphRatio:F1}"));
return 0;

static string Socketed<T>(string name, T state, StateTypeRegistry types, int reps)
{
    var collect = new List<double>();
    var transfer = new List<double>();
    var restore = new List<double>();
    var total = new List<double>();
    var pipelined = new List<double>();
    long size = 0;
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    for (int r = 0; r < reps + 1; r++)
    {
        using var client = new TcpClient { NoDelay = true };
        client.Connect(IPAddress.Loopback, port);
        using TcpClient server = listener.AcceptTcpClient();
        server.NoDelay = true;
        NetworkStream send = client.GetStream(), receive = server.GetStream();

        // Sequential, as in the dissertation: collect into memory, transfer the bytes, restore.
        long t0 = Stopwatch.GetTimestamp();
        var collected = new MemoryStream();
        StateSerializer.Save(state, collected, types);
        double c = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        size = collected.Length;
        long t1 = Stopwatch.GetTimestamp();
        byte[] arrived = new byte[collected.Length];
        var sender = Task.Run(() => send.Write(collected.GetBuffer(), 0, (int)collected.Length));
        receive.ReadExactly(arrived);
        sender.Wait();
        double t = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        long t2 = Stopwatch.GetTimestamp();
        StateSerializer.Restore<T>(new MemoryStream(arrived), types);
        double rs = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
        double all = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        // Pipelined: the writer ships chunks while collecting, the reader restores as they arrive.
        long p0 = Stopwatch.GetTimestamp();
        var writer = Task.Run(() => StateSerializer.Save(state, send, types, new StateWriteOptions()));
        StateSerializer.Restore<T>(receive, types);
        writer.Wait();
        double p = Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
        if (r > 0)
        {
            collect.Add(c);
            transfer.Add(t);
            restore.Add(rs);
            total.Add(all);
            pipelined.Add(p);
        }
    }
    return FormattableString.Invariant($"| {name} | {size} | {Median(collect):F2} | {Median(transfer):F2} | {Median(restore):F2} | {Median(total):F2} | {Median(pipelined):F2} |");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    int n = sorted.Count;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void Check(Node root, int distinct)
{
    var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
    var work = new Stack<Node>();
    work.Push(root);
    while (work.Count > 0)
    {
        Node n = work.Pop();
        if (!seen.Add(n))
        {
            continue;
        }
        if (n.Left is not null) work.Push(n.Left);
        if (n.Right is not null) work.Push(n.Right);
    }
    if (seen.Count != distinct)
    {
        throw new InvalidOperationException($"restored tree has {seen.Count} distinct nodes, expected {distinct}");
    }
}

/// <summary>A binary tree node, as in the dissertation's bitonic sort.</summary>
[Migratable]
public sealed partial class Node
{
    public int Value;
    public Node? Left;
    public Node? Right;

    /// <summary>A complete binary tree of <paramref name="count"/> nodes.</summary>
    public static Node Complete(int count)
    {
        var nodes = new Node[count];
        for (int i = count - 1; i >= 0; i--)
        {
            nodes[i] = new Node
            {
                Value = (int)((i * 2654435761u) % 100000),
                Left = 2 * i + 1 < count ? nodes[2 * i + 1] : null,
                Right = 2 * i + 2 < count ? nodes[2 * i + 2] : null,
            };
        }
        return nodes[0];
    }

    /// <summary>
    /// A complete binary tree of <paramref name="count"/> nodes in which every fourth leaf also
    /// points at another, later leaf's subtree (shared, no cycles).
    /// </summary>
    public static Node SharedTree(int count, out int distinct)
    {
        Node root = Complete(count);
        var nodes = new Node[count];
        var queue = new Queue<Node>();
        queue.Enqueue(root);
        int k = 0;
        while (queue.Count > 0)
        {
            Node n = queue.Dequeue();
            nodes[k++] = n;
            if (n.Left is not null) queue.Enqueue(n.Left);
            if (n.Right is not null) queue.Enqueue(n.Right);
        }
        for (int i = count / 2; i < count - 1; i += 4)
        {
            nodes[i].Left = nodes[i + 1 + (int)((i * 7919L) % (count - i - 1))];
        }
        distinct = count;
        return root;
    }
}
