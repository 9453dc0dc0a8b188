using System.Text.Json;
using Mitten.ControlDirectory;

namespace Mitten.Runtime.Control;

/// <summary>Options for the JSON the runtime writes itself (status --json, scheduler.jsonl): the contract's escaping.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = ControlJson.Encoder };
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = ControlJson.Encoder };

    public static string Time(DateTimeOffset t) => ControlJson.Time(t);
}
