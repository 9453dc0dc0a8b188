using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Mitten.ControlDirectory;

/// <summary>A control file or line that does not follow the contract; never acted on.</summary>
internal sealed class ControlFormatException(string message) : Exception(message);

/// <summary>The contract's JSON: source-generated, camelCase, nulls left out, strict about required fields and nullability.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(ControlTimeConverter)])]
[JsonSerializable(typeof(JobDocument))]
[JsonSerializable(typeof(RankStatus))]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(MigrationOutcomeDocument))]
[JsonSerializable(typeof(CheckpointOutcomeDocument))]
[JsonSerializable(typeof(ControlEvent))]
[JsonSerializable(typeof(EventDetails))]
[JsonSerializable(typeof(Dictionary<string, ProcessLocation>))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;

/// <summary>Reading and writing the contract's documents.</summary>
internal static class ControlJson
{
    /// <summary>
    /// Text is escaped only where JSON requires it (quotes, backslashes, control characters),
    /// not for HTML: these files are read by programs and people, never embedded in a page,
    /// and a time or a reason stays legible (<c>+</c>, not <c>\u002B</c>).
    /// </summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Compact (one line): events, requests, journal lines.</summary>
    public static readonly ControlJsonContext Compact = new(new JsonSerializerOptions(ControlJsonContext.Default.Options) { Encoder = Encoder });

    /// <summary>Indented: the files people read.</summary>
    public static readonly ControlJsonContext Indented = new(new JsonSerializerOptions(ControlJsonContext.Default.Options) { WriteIndented = true, Encoder = Encoder });

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>Writes <paramref name="value"/> as <paramref name="path"/> (indented) with the atomic writer.</summary>
    public static void WriteFile<T>(string path, T value, bool durable = true) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(value, (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T))!), durable);

    /// <summary>Reads a control file (at most <see cref="AtomicFile.MaxReadBytes"/>); errors name the file.</summary>
    public static T ReadFile<T>(string path, JsonTypeInfo<T> info)
    {
        if (File.Exists(path) && !FileKind.IsRegularFile(path))
        {
            throw new ControlFormatException($"{path}: not a regular file (never opened: a FIFO would block the reader)");
        }
        byte[] bytes = AtomicFile.ReadLimited(path, out long length)
            ?? throw new ControlFormatException($"{path}: {length} bytes, over the {AtomicFile.MaxReadBytes} byte limit");
        return Parse(bytes, info, path);
    }

    /// <summary>Parses one document; a syntax error is "not JSON", a wrong or missing field names the field.</summary>
    public static T Parse<T>(ReadOnlyMemory<byte> utf8, JsonTypeInfo<T> info, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ControlFormatException($"{what}: not JSON ({FirstLine(e.Message)})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ControlFormatException($"{what}: not a JSON object");
            }
            try
            {
                return document.RootElement.Deserialize(info) ?? throw new ControlFormatException($"{what}: empty");
            }
            catch (JsonException e)
            {
                throw new ControlFormatException($"{what}: {Describe(e)}");
            }
        }
    }

    /// <summary>Parses one document from text.</summary>
    public static T Parse<T>(string text, JsonTypeInfo<T> info, string what) => Parse(System.Text.Encoding.UTF8.GetBytes(text), info, what);

    /// <summary>One line of JSON (for events.jsonl and journals).</summary>
    public static byte[] Line<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    /// <summary>A time as the contract writes it: ISO 8601 UTC with milliseconds.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Describe(JsonException e)
    {
        // "The JSON value could not be converted to System.Int32. Path: $.rank | ..." -> "\"rank\" has the wrong type"
        string message = FirstLine(e.Message);
        if (e.Path is { Length: > 2 } path && message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return $"\"{path[2..]}\" has the wrong type or value";
        }
        // "JSON deserialization for type 'X' was missing required properties including: 'state'." -> missing "state"
        int missing = message.IndexOf("missing required properties including: ", StringComparison.Ordinal);
        if (missing >= 0)
        {
            string names = message[(missing + "missing required properties including: ".Length)..].TrimEnd('.').Replace('\'', '"');
            return "missing " + names;
        }
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string FirstLine(string s) => s.Split('\n')[0];
}

/// <summary>
/// Times: written as ISO 8601 UTC strings; read from any ISO 8601 string or a number of Unix
/// seconds (milliseconds when above 1e11), so either convention of a job is understood.
/// </summary>
internal sealed class ControlTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String &&
            DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t))
        {
            return t;
        }
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double d) && double.IsFinite(d) && d >= 0 && d < 1e14)
        {
            return d > 1e11 ? DateTimeOffset.FromUnixTimeMilliseconds((long)d) : DateTimeOffset.FromUnixTimeMilliseconds((long)(d * 1000));
        }
        throw new JsonException("a time is not ISO 8601 or Unix seconds");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ControlJson.Time(value));
}

/// <summary>A <see cref="MigrationOutcome"/> as <c>committed</c>, <c>rolled_back</c> or <c>rejected</c>.</summary>
internal sealed class MigrationOutcomeConverter : JsonConverter<MigrationOutcome>
{
    public static string Name(MigrationOutcome outcome) => outcome switch
    {
        MigrationOutcome.Committed => "committed",
        MigrationOutcome.RolledBack => "rolled_back",
        _ => "rejected",
    };

    public override MigrationOutcome Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString() switch
        {
            "committed" => MigrationOutcome.Committed,
            "rolled_back" => MigrationOutcome.RolledBack,
            "rejected" => MigrationOutcome.Rejected,
            string other => throw new JsonException($"outcome '{Names.Printable(other)}' is not one of committed|rolled_back|rejected"),
            null => throw new JsonException("outcome is null"),
        } : throw new JsonException("outcome is not a string");

    public override void Write(Utf8JsonWriter writer, MigrationOutcome value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
}
