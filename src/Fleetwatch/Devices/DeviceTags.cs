using System.Text;
using System.Text.Json;

namespace Fleetwatch.Devices;

/// <summary>Tags are trimmed, de-duplicated and sorted (ordinal, so case-sensitive as rule scopes are), stored as a JSON array.</summary>
public static class DeviceTags
{
    public const int MaxTags = 64, MaxLength = 64;

    public static string[] Normalize(IEnumerable<string> tags) =>
        [.. tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public static string ToJson(string[] tags)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var tag in tags) json.WriteStringValue(tag);
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string[] FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json) || json == "[]") return [];
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetString() ?? "")];
    }
}
