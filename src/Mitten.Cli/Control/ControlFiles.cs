using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Mitten.ControlDirectory;

namespace Mitten.Runtime.Control;

/// <summary>
/// The runtime's reads and writes of the contract's documents (src/Mitten.ControlDirectory): strict
/// (a wrong type, a missing field or a value outside the contract is malformed and never
/// acted on) and bounded (1 MiB per file).
/// </summary>
internal static class ControlFiles
{
    private static ControlJsonContext Context => ControlJson.Compact;

    /// <summary>Reads a document; anything that does not follow the contract is a <see cref="MalformedControlFileException"/>.</summary>
    public static T Read<T>(string path, JsonTypeInfo<T> info, Func<T, string?>? problem = null)
    {
        T value;
        try
        {
            value = ControlJson.ReadFile(path, info);
        }
        catch (ControlFormatException e)
        {
            throw new MalformedControlFileException(e.Message);
        }
        if (problem?.Invoke(value) is string why)
        {
            throw new MalformedControlFileException($"{path}: {why}");
        }
        return value;
    }

    /// <summary>A text file of at most 1 MiB (host files).</summary>
    public static string ReadText(string path) =>
        AtomicFile.ReadLimited(path, out long length) is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes)
            : throw new MittenException($"{path}: {length} bytes, over the {AtomicFile.MaxReadBytes} byte limit");

    public static JobDocument ReadJob(JobDirectory job) => Read(job.JobFile, Context.JobDocument, j => j.Problem());

    public static void WriteJob(JobDirectory job, JobDocument document) => ControlJson.WriteFile(job.JobFile, document);

    /// <summary><c>mitten-job.json</c> of a checkpoint directory, or null when there is none.</summary>
    public static JobDocument? ReadCheckpointNote(string checkpointDirectory)
    {
        string note = Path.Combine(checkpointDirectory, ControlLayout.CheckpointNote);
        return File.Exists(note) ? Read(note, Context.JobDocument, j => j.Ranks < 1 ? $"ranks {j.Ranks} out of range" : null) : null;
    }

    public static RankStatus ReadRank(string path) => Read(path, Context.RankStatus, r =>
        r.Problem() ?? (Path.GetFileNameWithoutExtension(path) != r.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture) ? $"says rank {r.Rank}" : null));

    /// <summary>Every parseable rank report of the job, and one message per file that is not.</summary>
    public static (SortedDictionary<int, RankStatus> Reports, List<string> Problems) ReadRanks(JobDirectory job)
    {
        var reports = new SortedDictionary<int, RankStatus>();
        var problems = new List<string>();
        if (!Directory.Exists(job.RanksDirectory))
        {
            return (reports, problems);
        }
        foreach (string file in Directory.EnumerateFiles(job.RanksDirectory, "*.json"))
        {
            try
            {
                RankStatus r = ReadRank(file);
                reports[r.Rank] = r;
            }
            catch (MittenException e)
            {
                problems.Add(e.Message);
            }
            catch (IOException e)
            {
                problems.Add($"{file}: {e.Message}");
            }
        }
        return (reports, problems);
    }

    public static MigrationOutcomeDocument ReadMigration(string path) => Read(path, Context.MigrationOutcomeDocument);

    public static CheckpointOutcomeDocument ReadCheckpoint(string path) => Read(path, Context.CheckpointOutcomeDocument, c => c.Problem());

    public static ControlRequest ReadRequest(string path) => Read(path, Context.ControlRequest);

    public static Dictionary<string, ProcessLocation> ReadLocations(string path) => Read(path, Context.DictionaryStringProcessLocation);

    /// <summary>One line of events.jsonl.</summary>
    public static ControlEvent ParseEvent(string line, string what)
    {
        ControlEvent e;
        try
        {
            e = ControlJson.Parse(line, Context.ControlEvent, what);
        }
        catch (ControlFormatException error)
        {
            throw new MalformedControlFileException(error.Message);
        }
        return e.Problem() is string why ? throw new MalformedControlFileException($"{what}: {why}") : e;
    }

    /// <summary>Writes a request file (the atomic writer: temporary, fsync, rename).</summary>
    public static void WriteRequest(JobDirectory job, ControlRequest request) => ControlJson.WriteFile(job.RequestFile(request.Id), request);

    /// <summary>A document as a JSON tree (for status --json and the journal).</summary>
    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, (JsonTypeInfo<T>)Context.GetTypeInfo(typeof(T))!);
}
