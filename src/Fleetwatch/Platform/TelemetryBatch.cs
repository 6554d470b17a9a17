using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Platform;

/// <summary>One event of a batch, validated: its time and its data as fields.</summary>
public readonly record struct TelemetryEvent(long TsMicros, Field[] Fields);

/// <summary>
/// <c>{device_external_id, events:[{ts, data:{…}}]}</c>, parsed in one pass over the body. <c>ts</c> is an
/// RFC 3339 timestamp with an offset or Unix seconds (a JSON number, fractions allowed); <c>data</c> is an
/// object whose values are kept as they came: integers, floating point, booleans, strings, nulls, and nested
/// objects or arrays as their JSON text. One bad event rejects the whole batch and is named by its index.
/// </summary>
public static class TelemetryBatch
{
    public const int MaxEvents = 5000, MaxFieldsPerEvent = 256, MaxFieldNameLength = 128, MaxTextLength = 4096;
    // Year 1 to year 9999, as the RFC 3339 parser allows.
    private static readonly long MinMicros = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    private static readonly long MaxMicros = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>The parsed batch, or the problem: 400 for empty or oversized batches, 422 naming every bad field.</summary>
    /// <exception cref="JsonException">The body is not JSON at all.</exception>
    public static (string? DeviceExternalId, List<TelemetryEvent>? Events, ProblemResult? Problem) Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject) return (null, null, Problems.Validation("body", "must be a JSON object"));

        Dictionary<string, string[]>? errors = null;
        string? deviceExternalId = null;
        List<TelemetryEvent>? events = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("device_external_id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 and <= 128 } id) deviceExternalId = id;
                else ValidationErrors.Add(ref errors, "device_external_id", "must be a string of 1 to 128 characters");
            }
            else if (reader.ValueTextEquals("events"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    ValidationErrors.Add(ref errors, "events", "must be an array of {ts, data} objects");
                    reader.Skip();
                    continue;
                }
                events = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (events.Count == MaxEvents) return (null, null, Problems.BadRequest($"too many events (max {MaxEvents})"));
                    var index = events.Count;
                    events.Add(ReadEvent(ref reader, body, $"events[{index}]", ref errors));
                }
            }
            else
            {
                // Unknown fields are ignored, as the original service did.
                reader.Read();
                reader.Skip();
            }
        }
        if (deviceExternalId is null && errors?.ContainsKey("device_external_id") != true) ValidationErrors.Add(ref errors, "device_external_id", "is required");
        if (events is null && errors?.ContainsKey("events") != true) ValidationErrors.Add(ref errors, "events", "is required");
        if (errors is not null) return (null, null, Problems.Validation(errors));
        if (events!.Count == 0) return (null, null, Problems.BadRequest("events cannot be empty"));
        return (deviceExternalId, events, null);
    }

    private static TelemetryEvent ReadEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string path, ref Dictionary<string, string[]>? errors)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            ValidationErrors.Add(ref errors, path, "must be an object with ts and data");
            reader.Skip();
            return default;
        }
        long? ts = null;
        Field[]? fields = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                ts = ReadTimestamp(ref reader, path + ".ts", ref errors);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                fields = ReadData(ref reader, body, path + ".data", ref errors);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (ts is null && errors?.ContainsKey(path + ".ts") != true) ValidationErrors.Add(ref errors, path + ".ts", "is required");
        if (fields is null && errors?.ContainsKey(path + ".data") != true) ValidationErrors.Add(ref errors, path + ".data", "is required");
        return new TelemetryEvent(ts ?? 0, fields ?? []);
    }

    private static long? ReadTimestamp(ref Utf8JsonReader reader, string path, ref Dictionary<string, string[]>? errors)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (Timestamps.TryParse(reader.GetString(), out var micros)) return micros;
            ValidationErrors.Add(ref errors, path, $"must be {Timestamps.FormatHint}, or Unix seconds");
            return null;
        }
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt64(out var seconds) && seconds >= MinMicros / 1_000_000 && seconds <= MaxMicros / 1_000_000) return seconds * 1_000_000;
            if (reader.TryGetDouble(out var fractional) && double.IsFinite(fractional) && fractional * 1e6 >= MinMicros && fractional * 1e6 <= MaxMicros)
                return (long)Math.Round(fractional * 1e6);
            ValidationErrors.Add(ref errors, path, "is out of range: Unix seconds must fall between the years 1 and 9999");
            return null;
        }
        ValidationErrors.Add(ref errors, path, $"must be {Timestamps.FormatHint}, or Unix seconds as a number");
        reader.Skip();
        return null;
    }

    /// <summary>An object of metric name → value, as <c>data</c> holds (MQTT telemetry payloads use it too).</summary>
    internal static Field[]? ReadData(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string path, ref Dictionary<string, string[]>? errors)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            ValidationErrors.Add(ref errors, path, "must be an object of metric name → value");
            reader.Skip();
            return null;
        }
        var fields = new List<Field>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var value = ReadValue(ref reader, body);
            if (name.Length is 0 or > MaxFieldNameLength)
                ValidationErrors.Add(ref errors, path, $"metric names must have 1 to {MaxFieldNameLength} characters");
            else if (value.Tag is ValueTag.Text && value.Text!.Length > MaxTextLength)
                ValidationErrors.Add(ref errors, $"{path}.{name}", $"must be at most {MaxTextLength} characters");
            else if (value.Tag is ValueTag.Double && !double.IsFinite(value.Double))
                ValidationErrors.Add(ref errors, $"{path}.{name}", "must be a finite number");
            // A repeated name keeps its last value, as JSON parsers commonly do.
            var existing = fields.FindIndex(f => f.Name == name);
            if (existing >= 0) fields[existing] = new Field(name, value);
            else fields.Add(new Field(name, value));
        }
        if (fields.Count > MaxFieldsPerEvent) ValidationErrors.Add(ref errors, path, $"must have at most {MaxFieldsPerEvent} metrics");
        return [.. fields];
    }

    internal static FieldValue ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var integer) && !reader.ValueSpan.ContainsAny("."u8) && !reader.ValueSpan.ContainsAny("eE"u8)
                    ? FieldValue.Of(integer)
                    : FieldValue.Of(double.Parse(Encoding.UTF8.GetString(reader.ValueSpan), NumberStyles.Float, CultureInfo.InvariantCulture));
            case JsonTokenType.String:
                return new FieldValue(ValueTag.Text, Text: reader.GetString());
            case JsonTokenType.True:
                return FieldValue.Of(true);
            case JsonTokenType.False:
                return FieldValue.Of(false);
            case JsonTokenType.Null:
                return new FieldValue(ValueTag.Null);
            default:
                // Objects and arrays are kept as their JSON text.
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                return new FieldValue(ValueTag.Json, Text: Encoding.UTF8.GetString(body[start..(int)reader.BytesConsumed]));
        }
    }
}
