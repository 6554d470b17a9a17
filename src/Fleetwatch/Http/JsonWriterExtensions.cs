using System.Text.Json;

namespace Fleetwatch.Http;

public static class JsonWriterExtensions
{
    /// <summary>The property as a string, or as JSON null when there is no value.</summary>
    public static void WriteStringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>An RFC 3339 UTC time, or null.</summary>
    public static void WriteInstantOrNull(this Utf8JsonWriter json, string name, long? micros) =>
        json.WriteStringOrNull(name, micros is { } value ? Timestamps.Format(value) : null);
}
