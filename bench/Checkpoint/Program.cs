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
// Save+restore moves the 64 MiB twice (array -> stream buffer, stream buffer -> new array), so the
// baseline is the same two moves done by Buffer.MemoryCopy (array -> buffer, buffer -> array), and
// X = (two memcpys' time) / (save+restore time) = save+restore throughput / memcpy throughput with
// the bytes counted alike on both sides. The stream is a pre-sized MemoryStream reused by every
// repetition (as the memcpy staging buffer is); the restore creates its array, the memcpy copies
// into an existing one (the allocation and first touch of the new array are the restore's cost).
const int Doubles = 64 * 1024 * 1024 / 8;
const long ArrayBytes = (long)Doubles * 8;
double[] source = new double[Doubles];
for (int i = 0; i < source.Length; i++)
{
    source[i] = i * 1.000001;
}
double[] copy = new double[Doubles];
byte[] staging = new byte[ArrayBytes];
var stream = new MemoryStream(Doubles * 8 + 1024 * 1024);
var memcpyOne = new List<double>();
var memcpyTwo = new List<double>();
var saveRestore = new List<double>();
var saveOnly = new List<double>();
var restoreOnly = new List<double>();
var arrayRatios = new List<double>();
for (int r = 0; r < reps + 1; r++)
{
    // Untimed: free the previous repetition's restored array, so that the restore's new array can
    // reuse its pages (as the memcpy reuses its destination) instead of faulting in fresh ones.
    GC.Collect();
    long t0 = Stopwatch.GetTimestamp();
    unsafe
    {
        fixed (double* s = source, d = copy)
        fixed (byte* b = staging)
        {
            Buffer.MemoryCopy(s, b, ArrayBytes, ArrayBytes);
            double first = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            Buffer.MemoryCopy(b, d, ArrayBytes, ArrayBytes);
            if (r > 0)
            {
                memcpyOne.Add(first);
            }
        }
    }
    double m2 = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    stream.Position = 0;
    t0 = Stopwatch.GetTimestamp();
    StateSerializer.Save(source, stream, types);
    double saved = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    stream.Position = 0;
    double[] back = StateSerializer.Restore<double[]>(stream, types);
    double sr = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    if (back[^1] != source[^1] || back[12345] != source[12345])
    {
        throw new InvalidOperationException("array round trip differs");
    }
    back = [];
    if (r > 0) // the first round warms up
    {
        memcpyTwo.Add(m2);
        saveRestore.Add(sr);
        saveOnly.Add(saved);
        restoreOnly.Add(sr - saved);
        arrayRatios.Add(m2 / sr);
    }
}
double memcpyMs = Median(memcpyTwo), saveRestoreMs = Median(saveRestore);
double arrayRatio = memcpyMs / saveRestoreMs;
// For reference: allocating and filling 64 MiB arrays while the earlier ones stay alive, so each
// one lands on pages the process has not touched before (what a restore pays in a new process).
var touch = new List<double>();
var keep = new List<double[]>();
for (int r = 0; r < 3; r++)
{
    long t0 = Stopwatch.GetTimestamp();
    double[] fresh = GC.AllocateUninitializedArray<double>(Doubles);
    Array.Fill(fresh, 1.0);
    touch.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    keep.Add(fresh);
}
keep.Clear();
GC.Collect();
Console.Error.WriteLine($"64 MiB double[]: 2 x memcpy {memcpyMs:F2} ms (one memcpy {Median(memcpyOne):F2} ms, {64 / Median(memcpyOne) * 1000 / 1024:F2} GiB/s); save+restore {saveRestoreMs:F2} ms (save {Median(saveOnly):F2}, restore {Median(restoreOnly):F2}); allocate+fill a 64 MiB array on never-touched pages {Median(touch):F2} ms");
Console.Error.WriteLine($"64 MiB double[]: X per repetition {string.Join(" ", arrayRatios.Select(x => x.ToString("F2")))}; against ONE memcpy: {Median(memcpyOne) / saveRestoreMs:F2}");
source = copy = [];
staging = [];
stream = new MemoryStream();
GC.Collect();

// ---- graph_vs_json --------------------------------------------------------------------------
// Both sides produce a byte stream in memory and consume it again, each through its own reusable
// MemoryStream (kept from one repetition to the next, so neither pays for growing its buffer
// after the warm-up round): System.Text.Json serializes into its stream and deserializes from the
// stream's bytes; the state stream is saved into its stream and restored from it.
Node tree = Node.SharedTree(1_000_000, out int distinct, out int sharedRefs);
var json = new JsonSerializerOptions { ReferenceHandler = ReferenceHandler.Preserve, IncludeFields = true, MaxDepth = 1024 };
var jsonTimes = new List<double>();
var mineTimes = new List<double>();
var mineSave = new List<double>();
var graphRatios = new List<double>();
var jsonBuffer = new MemoryStream();
var stateBuffer = new MemoryStream();
long jsonBytes = 0, mineBytes = 0;
for (int r = 0; r < jsonReps + 1; r++)
{
    GC.Collect();
    jsonBuffer.SetLength(0);
    long t0 = Stopwatch.GetTimestamp();
    JsonSerializer.Serialize(jsonBuffer, tree, json);
    Node? j = JsonSerializer.Deserialize<Node>(jsonBuffer.GetBuffer().AsSpan(0, (int)jsonBuffer.Length), json);
    double jt = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    jsonBytes = jsonBuffer.Length;
    Check(j!, distinct);
    j = null;
    GC.Collect();
    stateBuffer.SetLength(0);
    t0 = Stopwatch.GetTimestamp();
    StateSerializer.Save(tree, stateBuffer, types);
    double st = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    stateBuffer.Position = 0;
    Node mine = StateSerializer.Restore<Node>(stateBuffer, types);
    double mt = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    mineBytes = stateBuffer.Length;
    Check(mine, distinct);
    mine = null!;
    if (r > 0)
    {
        jsonTimes.Add(jt);
        mineTimes.Add(mt);
        mineSave.Add(st);
        graphRatios.Add(jt / mt);
    }
}
jsonBuffer = stateBuffer = null!;
double jsonMs = Median(jsonTimes), mineMs = Median(mineTimes);
double graphRatio = jsonMs / mineMs;
Console.Error.WriteLine($"1,000,000-node tree ({distinct} distinct nodes, {sharedRefs} extra references to shared subtrees): System.Text.Json {jsonMs:F0} ms ({jsonBytes / 1e6:F1} MB), state stream {mineMs:F0} ms ({mineBytes / 1e6:F1} MB; save {Median(mineSave):F0} ms, restore {mineMs - Median(mineSave):F0} ms)");
Console.Error.WriteLine($"1,000,000-node tree: Y per repetition {string.Join(" ", graphRatios.Select(x => x.ToString("F1")))}");
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
Console.WriteLine($"| 64 MiB double[] save+restore vs 2 x memcpy | {64L << 20} | 2 x memcpy {memcpyMs:F2} | | save+restore {saveRestoreMs:F2} | | |");
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
    /// A binary tree of exactly <paramref name="count"/> distinct nodes in which subtrees are shared:
    /// built bottom-up from a queue of parentless nodes, three of every four new inner nodes take
    /// two parentless nodes as children, the fourth takes one and, as its right child, an inner
    /// node made earlier (a whole subtree that now has two parents). Every node is reachable,
    /// and no cycle can form (children are always older than their parent).
    /// </summary>
    public static Node SharedTree(int count, out int distinct, out int sharedReferences)
    {
        int leaves = count * 3 / 7 - 16;
        while (Total(leaves + 1) <= count)
        {
            leaves++;
        }
        var rng = new Random(12345);
        var created = new List<Node>(count);
        var parentless = new Queue<Node>();
        int firstInner = leaves;
        for (int i = 0; i < leaves; i++)
        {
            var leaf = new Node { Value = Label(created.Count) };
            created.Add(leaf);
            parentless.Enqueue(leaf);
        }
        sharedReferences = 0;
        for (int step = 0; parentless.Count > 1 || created.Count < count; step++)
        {
            Node left = parentless.Dequeue();
            Node right;
            if (step % 4 == 3 || parentless.Count == 0)
            {
                right = created[created.Count > firstInner ? rng.Next(firstInner, created.Count) : rng.Next(created.Count)];
                sharedReferences++;
            }
            else
            {
                right = parentless.Dequeue();
            }
            var inner = new Node { Value = Label(created.Count), Left = left, Right = right };
            created.Add(inner);
            parentless.Enqueue(inner);
        }
        distinct = created.Count;
        return parentless.Dequeue();

        // Nodes made from `leaves` leaves before the queue is down to one (the last few shared
        // steps that bring the total to `count` are made on the root).
        static int Total(int leaves)
        {
            int drops = leaves - 1;
            return leaves + 4 * (drops / 3) + drops % 3;
        }

        static int Label(int i) => (int)((i * 2654435761u) % 100000);
    }
}
