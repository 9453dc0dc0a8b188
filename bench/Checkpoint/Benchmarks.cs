using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Mitten.Checkpoint.State;

namespace Mitten.Bench.Checkpoint;

// The benchmark classes. Jobs (warm-up and iteration counts, toolchain) come from Program.cs;
// every class gets one job, so a round of all of them stays within a few minutes on 2 cores.

/// <summary>
/// array_vs_memcpy: a 64 MiB <c>double[]</c> saved into a reusable, pre-sized <see cref="MemoryStream"/>
/// and restored from it, against the same two moves done by <see cref="Buffer.MemoryCopy"/>
/// (array -> staging buffer -> second array). One operation per iteration; before each iteration,
/// outside the timing, <see cref="GC.Collect()"/> frees the previous iteration's restored array
/// (for every benchmark here, so the conditions are the same).
/// </summary>
public class ArrayBenchmarks
{
    private const int Doubles = 64 * 1024 * 1024 / 8;
    private const long Bytes = (long)Doubles * 8;
    private readonly StateTypeRegistry types = new();
    private double[] source = [];
    private double[] copy = [];
    private byte[] staging = [];
    private MemoryStream stream = new();
    private MemoryStream saved = new();
    private double[]? restored;
    private readonly List<double[]> kept = [];

    /// <summary>Fills the source array and saves it once, for the restore-only benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        source = new double[Doubles];
        for (int i = 0; i < source.Length; i++)
        {
            source[i] = i * 1.000001;
        }
        copy = new double[Doubles];
        staging = new byte[Bytes];
        stream = new MemoryStream(Doubles * 8 + 1024 * 1024);
        saved = new MemoryStream(Doubles * 8 + 1024 * 1024);
        StateSerializer.Save(source, saved, types);
        saved.Position = 0;
        double[] back = StateSerializer.Restore<double[]>(saved, types);
        if (!back.AsSpan().SequenceEqual(source))
        {
            throw new InvalidOperationException("the 64 MiB array does not round-trip");
        }
    }

    /// <summary>Frees the previous restored array (untimed), so the next one can reuse its pages.</summary>
    [IterationSetup(Targets = [nameof(TwoMemcpy), nameof(OneMemcpy), nameof(SaveRestore), nameof(Save), nameof(Restore)])]
    public void FreePrevious()
    {
        restored = null;
        GC.Collect();
    }

    /// <summary>Keeps every restored array alive, so each restore lands on pages never touched before.</summary>
    [IterationSetup(Target = nameof(SaveRestoreOnFreshPages))]
    public void KeepPrevious()
    {
        if (restored is not null)
        {
            kept.Add(restored);
        }
        restored = null;
    }

    /// <summary>Drops everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        kept.Clear();
        restored = null;
        source = copy = [];
        staging = [];
        stream = saved = new MemoryStream();
        GC.Collect();
    }

    /// <summary>The baseline: array -> staging buffer -> second array.</summary>
    [Benchmark(Baseline = true)]
    public unsafe void TwoMemcpy()
    {
        fixed (double* s = source, d = copy)
        fixed (byte* b = staging)
        {
            Buffer.MemoryCopy(s, b, Bytes, Bytes);
            Buffer.MemoryCopy(b, d, Bytes, Bytes);
        }
    }

    /// <summary>One move, for the throughput of a single memcpy.</summary>
    [Benchmark]
    public unsafe void OneMemcpy()
    {
        fixed (double* s = source)
        fixed (byte* b = staging)
        {
            Buffer.MemoryCopy(s, b, Bytes, Bytes);
        }
    }

    /// <summary>Save into the reusable stream, then restore a new array from it.</summary>
    [Benchmark]
    public double[] SaveRestore()
    {
        stream.Position = 0;
        StateSerializer.Save(source, stream, types);
        stream.Position = 0;
        return restored = StateSerializer.Restore<double[]>(stream, types);
    }

    /// <summary>The save alone.</summary>
    [Benchmark]
    public void Save()
    {
        stream.Position = 0;
        StateSerializer.Save(source, stream, types);
    }

    /// <summary>The restore alone (from a stream saved in the setup).</summary>
    [Benchmark]
    public double[] Restore()
    {
        saved.Position = 0;
        return restored = StateSerializer.Restore<double[]>(saved, types);
    }

    /// <summary>Save+restore with every earlier restored array kept alive: what a fresh process pays.</summary>
    [Benchmark]
    public double[] SaveRestoreOnFreshPages() => SaveRestore(); // the same work; only its iteration setup differs
}

/// <summary>
/// graph_vs_json: a 1,000,000-node binary tree with shared subtrees (<see cref="Node.SharedTree"/>).
/// System.Text.Json (<see cref="ReferenceHandler.Preserve"/>) serializes it into a reusable
/// <see cref="MemoryStream"/> and deserializes it from that stream's bytes
/// (<see cref="JsonGraphBenchmarks"/>); the state stream saves it into its own reusable stream and
/// restores it (<see cref="StateGraphBenchmarks"/>). Two classes only so that the state side, 10-25
/// times faster, can take more iterations in the same time. Before each iteration, outside the
/// timing, the previous result is dropped, the buffers emptied and <see cref="GC.Collect()"/> called.
/// The memory diagnoser reports the garbage collections and bytes allocated per operation.
/// </summary>
[MemoryDiagnoser]
public abstract class GraphBenchmarks
{
    private const int Nodes = 1_000_000;

    /// <summary>The tree.</summary>
    protected Node Tree { get; private set; } = null!;

    /// <summary>Its distinct nodes (what a restored copy must reach).</summary>
    protected int Distinct { get; private set; }

    /// <summary>The last restored copy (kept until the next iteration's setup drops it).</summary>
    protected Node? Result { get; set; }

    /// <summary>Builds the tree.</summary>
    protected void BuildTree()
    {
        Tree = Node.SharedTree(Nodes, out int distinct, out _);
        Distinct = distinct;
    }

    private int operations;
    private int operationsWithGc;

    /// <summary>Drops the previous result, empties the buffers (untimed).</summary>
    [IterationSetup]
    public void Reset()
    {
        Result = null;
        EmptyBuffers();
        GC.Collect();
    }

    /// <summary>Counts one operation, and whether a garbage collection ran during it (since <paramref name="gen0Before"/>).</summary>
    protected T Counted<T>(int gen0Before, T value)
    {
        operations++;
        if (GC.CollectionCount(0) != gen0Before)
        {
            operationsWithGc++;
        }
        return value;
    }

    /// <summary>Reports the collections counted (into BenchmarkDotNet's log) and drops everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// {GetType().BaseType?.Name}: a garbage collection ran during {operationsWithGc} of {operations} operations (warm-up included)");
        Tree = null!;
        Result = null;
        GC.Collect();
    }

    /// <summary>Empties the reusable buffers.</summary>
    protected abstract void EmptyBuffers();
}

/// <summary>The System.Text.Json side of graph_vs_json.</summary>
public class JsonGraphBenchmarks : GraphBenchmarks
{
    private readonly JsonSerializerOptions json = new() { ReferenceHandler = ReferenceHandler.Preserve, IncludeFields = true, MaxDepth = 1024 };
    private readonly MemoryStream buffer = new();

    /// <summary>Builds the tree and checks that a round trip gives back all of its distinct nodes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        BuildTree();
        Trees.Check(SystemTextJson(), Distinct);
    }

    /// <summary>System.Text.Json with reference preservation: serialize, then deserialize.</summary>
    [Benchmark]
    public Node SystemTextJson()
    {
        int gen0 = GC.CollectionCount(0);
        buffer.SetLength(0);
        JsonSerializer.Serialize(buffer, Tree, json);
        return Counted(gen0, (Result = JsonSerializer.Deserialize<Node>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), json))!);
    }

    /// <inheritdoc/>
    protected override void EmptyBuffers() => buffer.SetLength(0);
}

/// <summary>The state stream side of graph_vs_json.</summary>
public class StateGraphBenchmarks : GraphBenchmarks
{
    private readonly StateTypeRegistry types = new StateTypeRegistry().Register<Node>();
    private readonly MemoryStream buffer = new();
    private readonly MemoryStream saved = new();

    /// <summary>Builds the tree, checks a round trip, saves it once for the restore-only benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        BuildTree();
        Trees.Check(StateStream(), Distinct);
        StateSerializer.Save(Tree, saved, types);
    }

    /// <summary>This library: save, then restore.</summary>
    [Benchmark]
    public Node StateStream()
    {
        int gen0 = GC.CollectionCount(0);
        buffer.SetLength(0);
        StateSerializer.Save(Tree, buffer, types);
        buffer.Position = 0;
        return Counted(gen0, (Result = StateSerializer.Restore<Node>(buffer, types))!);
    }

    /// <summary>The save alone.</summary>
    [Benchmark]
    public void StateSave()
    {
        buffer.SetLength(0);
        StateSerializer.Save(Tree, buffer, types);
    }

    /// <summary>The restore alone (from a stream saved in the setup).</summary>
    [Benchmark]
    public Node StateRestore()
    {
        int gen0 = GC.CollectionCount(0);
        saved.Position = 0;
        return Counted(gen0, (Result = StateSerializer.Restore<Node>(saved, types))!);
    }

    /// <inheritdoc/>
    protected override void EmptyBuffers() => buffer.SetLength(0);
}

/// <summary>
/// The dissertation's two cases, moved through a local TCP socket: a 1000x1000 double matrix
/// (linpack-like) and an 8192-node complete binary tree (bitonic-like). Collect, transfer and
/// restore are measured one by one and in sequence (the dissertation's method); the pipelined
/// total ships chunks while collecting and restores while the stream is still arriving.
/// </summary>
public class DissertationBenchmarks
{
    /// <summary>Name of the matrix case.</summary>
    public const string Matrix = "1000x1000 double matrix";

    /// <summary>Name of the tree case.</summary>
    public const string Tree = "8192-node binary tree";

    private readonly StateTypeRegistry types = new StateTypeRegistry().Register<Node>();
    private double[,] matrix = new double[0, 0];
    private Node bitonic = null!;
    private TcpListener? listener;
    private TcpClient? client;
    private TcpClient? server;
    private NetworkStream send = null!;
    private NetworkStream receive = null!;
    private byte[] collected = [];
    private byte[] arrived = [];

    /// <summary>Which case.</summary>
    [Params(Matrix, Tree)]
    public string Case { get; set; } = Matrix;

    /// <summary>Stream sizes measured in the setup (for the table).</summary>
    public static Dictionary<string, long> StreamBytes { get; } = [];

    /// <summary>Builds the state, connects the socket pair, collects the state once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        matrix = new double[1000, 1000];
        for (int i = 0; i < 1000; i++)
        {
            for (int k = 0; k < 1000; k++)
            {
                matrix[i, k] = Math.Sin(i) * k;
            }
        }
        bitonic = Node.Complete(8192);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        client = new TcpClient { NoDelay = true };
        client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        server = listener.AcceptTcpClient();
        server.NoDelay = true;
        send = client.GetStream();
        receive = server.GetStream();
        var buffer = new MemoryStream();
        SaveTo(buffer);
        collected = buffer.ToArray();
        arrived = new byte[collected.Length];
        StreamBytes[Case] = collected.Length;
        Transfer();
        Restore();
        Pipelined();
    }

    /// <summary>Closes the socket pair.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        client?.Dispose();
        server?.Dispose();
        listener?.Stop();
    }

    /// <summary>Collect the state into memory.</summary>
    [Benchmark]
    public long Collect()
    {
        var buffer = new MemoryStream();
        SaveTo(buffer);
        return buffer.Length;
    }

    /// <summary>Move the collected bytes through the socket.</summary>
    [Benchmark]
    public void Transfer()
    {
        var sender = Task.Run(() => send.Write(collected));
        receive.ReadExactly(arrived);
        sender.Wait();
    }

    /// <summary>Restore the state from the bytes that arrived.</summary>
    [Benchmark]
    public object Restore() => RestoreFrom(new MemoryStream(arrived, writable: false));

    /// <summary>Collect, transfer, restore, one after the other.</summary>
    [Benchmark]
    public object Total()
    {
        var buffer = new MemoryStream();
        SaveTo(buffer);
        byte[] bytes = buffer.GetBuffer();
        int length = (int)buffer.Length;
        var sender = Task.Run(() => send.Write(bytes, 0, length));
        byte[] received = new byte[length];
        receive.ReadExactly(received);
        sender.Wait();
        return RestoreFrom(new MemoryStream(received, writable: false));
    }

    /// <summary>Save straight into the socket on one thread while the other restores from it.</summary>
    [Benchmark]
    public object Pipelined()
    {
        var writer = Task.Run(() => SaveTo(send));
        object state = RestoreFrom(receive);
        writer.Wait();
        return state;
    }

    private void SaveTo(Stream destination)
    {
        if (Case == Matrix)
        {
            StateSerializer.Save(matrix, destination, types);
        }
        else
        {
            StateSerializer.Save(bitonic, destination, types);
        }
    }

    private object RestoreFrom(Stream source) =>
        Case == Matrix ? StateSerializer.Restore<double[,]>(source, types) : StateSerializer.Restore<Node>(source, types);
}
