using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Backend;

/// <summary>One reading as the telemetry backend takes it: <c>{device_id?, metrics:{…}}</c> or flat <c>{temperature, humidity, …}</c>.</summary>
public readonly record struct Reading(string? DeviceId, Field[] Metrics);

/// <summary>
/// Readings parsed in one pass. Metrics are numbers; the known ones have ranges (temperature −40..85 °C,
/// humidity 0..100 %, voltage 0..24 V) and others are free-form. In the flat form, top-level numbers are the
/// metrics and other fields are ignored. Every violation is named by its path. A payload that is no set of
/// numeric metrics (not an object, empty, non-numeric) is told apart from a metric out of its range, since the
/// original answers them with different codes (INVALID_PAYLOAD, VALIDATION_ERROR; CONTRACTS.md §4).
/// </summary>
public static class ReadingRequest
{
    public const int MaxBatch = 5000, MaxMetrics = 256;

    private static readonly Dictionary<string, (double Min, double Max)> KnownRanges = new(StringComparer.Ordinal)
    {
        ["temperature"] = (-40, 85),
        ["humidity"] = (0, 100),
        ["voltage"] = (0, 24),
    };

    /// <exception cref="JsonException">Not JSON at all.</exception>
    public static Reading? ParseOne(ReadOnlySpan<byte> body, out Dictionary<string, string[]>? errors, out bool invalidPayload)
    {
        errors = null;
        invalidPayload = false;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Payload(ref errors, ref invalidPayload, "body", "must be a JSON object of metrics");
            return null;
        }
        var reading = ReadReading(ref reader, "", ref errors, ref invalidPayload);
        return errors is null ? reading : null;
    }

    /// <summary>An array of readings, or <c>{"readings": […]}</c>; all valid or none taken.</summary>
    /// <exception cref="JsonException">Not JSON at all.</exception>
    public static List<Reading>? ParseBatch(ReadOnlySpan<byte> body, out Dictionary<string, string[]>? errors, out bool invalidPayload, out bool tooMany)
    {
        errors = null;
        invalidPayload = false;
        tooMany = false;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        var prefix = "";
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // {"readings": […]}: find the array, ignore anything else.
            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isReadings = reader.ValueTextEquals("readings"u8);
                reader.Read();
                if (isReadings && reader.TokenType == JsonTokenType.StartArray)
                {
                    found = true;
                    break;
                }
                reader.Skip();
            }
            if (!found)
            {
                Payload(ref errors, ref invalidPayload, "readings", "is required: an array of readings (or send the array itself)");
                return null;
            }
            prefix = "readings";
        }
        else if (reader.TokenType != JsonTokenType.StartArray)
        {
            Payload(ref errors, ref invalidPayload, "body", "must be an array of readings or {\"readings\": [...]}");
            return null;
        }

        var readings = new List<Reading>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (readings.Count == MaxBatch)
            {
                tooMany = true;
                return null;
            }
            var path = $"{prefix}[{readings.Count}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Payload(ref errors, ref invalidPayload, path, "must be an object of metrics");
                reader.Skip();
                readings.Add(default);
                continue;
            }
            readings.Add(ReadReading(ref reader, path + ".", ref errors, ref invalidPayload));
        }
        if (readings.Count == 0) Payload(ref errors, ref invalidPayload, prefix.Length > 0 ? prefix : "body", "must hold at least one reading");
        return errors is null ? readings : null;
    }

    private static Reading ReadReading(ref Utf8JsonReader reader, string path, ref Dictionary<string, string[]>? errors, ref bool invalidPayload)
    {
        string? deviceId = null;
        List<Field>? nested = null;
        var flat = new List<Field>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("device_id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 and <= 128 } id) deviceId = id;
                else ValidationErrors.Add(ref errors, path + "device_id", "must be a string of 1 to 128 characters");
            }
            else if (reader.ValueTextEquals("metrics"u8))
            {
                reader.Read();
                nested = [];
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    Payload(ref errors, ref invalidPayload, path + "metrics", "must be an object of metric name → number");
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number) Add(nested, name, ref reader, path + "metrics.", ref errors, ref invalidPayload);
                    else
                    {
                        Payload(ref errors, ref invalidPayload, $"{path}metrics.{name}", $"must be a number, not {Describe(reader.TokenType)}");
                        reader.Skip();
                    }
                }
            }
            else
            {
                var name = reader.GetString()!;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number) Add(flat, name, ref reader, path, ref errors, ref invalidPayload);
                else reader.Skip();
            }
        }
        var metrics = nested ?? flat;
        if (metrics.Count == 0 && errors?.ContainsKey(path + "metrics") != true) Payload(ref errors, ref invalidPayload, path + "metrics", "cannot be empty: send at least one numeric metric");
        if (metrics.Count > MaxMetrics) Payload(ref errors, ref invalidPayload, path + "metrics", $"must have at most {MaxMetrics} metrics");
        return new Reading(deviceId, [.. metrics]);
    }

    private static void Add(List<Field> metrics, string name, ref Utf8JsonReader reader, string path, ref Dictionary<string, string[]>? errors, ref bool invalidPayload)
    {
        FieldValue value;
        double number;
        if (reader.TryGetInt64(out var integer) && !reader.ValueSpan.ContainsAny(".eE"u8))
        {
            value = FieldValue.Of(integer);
            number = integer;
        }
        else
        {
            // Beyond double's range the reader refuses: that is reported as not finite, below.
            number = reader.TryGetDouble(out var parsed) ? parsed : double.PositiveInfinity;
            value = FieldValue.Of(number);
        }
        if (name.Length is 0 or > 128) Payload(ref errors, ref invalidPayload, path + name, "metric names must have 1 to 128 characters");
        else if (!double.IsFinite(number)) Payload(ref errors, ref invalidPayload, path + name, "must be a finite number");
        else if (KnownRanges.TryGetValue(name, out var range) && (number < range.Min || number > range.Max))
            ValidationErrors.Add(ref errors, path + name, $"must be between {range.Min} and {range.Max}");
        var existing = metrics.FindIndex(f => f.Name == name);
        if (existing >= 0) metrics[existing] = new Field(name, value);
        else metrics.Add(new Field(name, value));
    }

    private static void Payload(ref Dictionary<string, string[]>? errors, ref bool invalidPayload, string field, string reason)
    {
        invalidPayload = true;
        ValidationErrors.Add(ref errors, field, reason);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        _ => "an object",
    };
}
