using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mitten.Runtime.Control;

/// <summary>Strict readers for the JSON objects of the contract: a wrong type or a missing field is malformed.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static JsonObject ParseObject(string text, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new MalformedControlFileException($"{what}: not JSON ({FirstLine(e.Message)})");
        }
        return node as JsonObject ?? throw new MalformedControlFileException($"{what}: not a JSON object");
    }

    public static JsonObject ReadObjectFile(string path) => ParseObject(AtomicFile.ReadLimited(path), path);

    public static string String(JsonObject o, string name, string what) =>
        OptionalString(o, name, what) ?? throw new MalformedControlFileException($"{what}: missing \"{name}\"");

    public static string? OptionalString(JsonObject o, string name, string what)
    {
        JsonNode? n = o[name];
        if (n is null)
        {
            return null;
        }
        if (n is JsonValue v && v.TryGetValue(out string? s))
        {
            return s;
        }
        throw new MalformedControlFileException($"{what}: \"{name}\" is not a string");
    }

    public static long Integer(JsonObject o, string name, string what) =>
        OptionalInteger(o, name, what) ?? throw new MalformedControlFileException($"{what}: missing \"{name}\"");

    public static long? OptionalInteger(JsonObject o, string name, string what)
    {
        JsonNode? n = o[name];
        if (n is null)
        {
            return null;
        }
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l))
        {
            return l;
        }
        throw new MalformedControlFileException($"{what}: \"{name}\" is not an integer");
    }

    public static double? OptionalNumber(JsonObject o, string name, string what)
    {
        JsonNode? n = o[name];
        if (n is null)
        {
            return null;
        }
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d))
        {
            return d;
        }
        throw new MalformedControlFileException($"{what}: \"{name}\" is not a number");
    }

    public static string[] StringArray(JsonObject o, string name, string what)
    {
        if (o[name] is null)
        {
            return [];
        }
        if (o[name] is not JsonArray a)
        {
            throw new MalformedControlFileException($"{what}: \"{name}\" is not an array");
        }
        return a.Select(x => x is JsonValue v && v.TryGetValue(out string? s) ? s
            : throw new MalformedControlFileException($"{what}: \"{name}\" holds a non-string")).ToArray();
    }

    /// <summary>
    /// A time field: an ISO 8601 string (what the runtime writes) or a number of Unix seconds
    /// (milliseconds when larger than 1e11), so either convention of a job is understood.
    /// </summary>
    public static DateTimeOffset? OptionalTime(JsonObject o, string name, string what)
    {
        JsonNode? n = o[name];
        if (n is null)
        {
            return null;
        }
        if (n is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.String && v.TryGetValue(out string? s) &&
                DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t))
            {
                return t;
            }
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d) && d >= 0 && d < 1e14)
            {
                return d > 1e11 ? DateTimeOffset.FromUnixTimeMilliseconds((long)d) : DateTimeOffset.FromUnixTimeMilliseconds((long)(d * 1000));
            }
        }
        throw new MalformedControlFileException($"{what}: \"{name}\" is not a time (ISO 8601 or Unix seconds)");
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string FirstLine(string s) => s.Split('\n')[0];
}
