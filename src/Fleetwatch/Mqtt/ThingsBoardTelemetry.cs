using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Platform;

namespace Fleetwatch.Mqtt;

/// <summary>
/// Telemetry payloads as ThingsBoard's device SDKs send them: <c>{"temperature":21.5}</c> (timestamped on receipt),
/// <c>{"ts":1700000000000,"values":{…}}</c> (Unix milliseconds), or an array of either. Values are kept as the HTTP
/// telemetry API keeps them: numbers, booleans, strings, nulls, nested JSON as its text.
/// </summary>
public static class ThingsBoardTelemetry
{
    public const int MaxEvents = TelemetryBatch.MaxEvents;
    private static readonly long MinMillis = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / 10_000;
    private static readonly long MaxMillis = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10_000;

    /// <summary>The events of one payload, or the errors naming each bad part. Throws <see cref="JsonException"/> for text that is not JSON.</summary>
    public static List<TelemetryEvent>? Parse(ReadOnlySpan<byte> payload, long nowMicros, out Dictionary<string, string[]>? errors)
    {
        errors = null;
        var reader = new Utf8JsonReader(payload);
        reader.Read();
        var events = Read(ref reader, payload, "", nowMicros, ref errors);
        while (reader.Read()) { }
        return errors is null ? events : null;
    }

    /// <summary>An object or an array of objects at the reader (a gateway message holds one per device).</summary>
    internal static List<TelemetryEvent> Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload, string path, long nowMicros, ref Dictionary<string, string[]>? errors)
    {
        var events = new List<TelemetryEvent>();
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (events.Count == MaxEvents)
                {
                    ValidationErrors.Add(ref errors, Element(path), $"at most {MaxEvents} entries per message");
                    reader.Skip();
                    continue;
                }
                ReadOne(ref reader, payload, $"{path}[{events.Count}]", nowMicros, events, ref errors);
            }
            if (events.Count == 0) ValidationErrors.Add(ref errors, Element(path), "must not be an empty array");
        }
        else
        {
            ReadOne(ref reader, payload, path, nowMicros, events, ref errors);
        }
        return events;
    }

    private static void ReadOne(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload, string path, long nowMicros, List<TelemetryEvent> events,
        ref Dictionary<string, string[]>? errors)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            ValidationErrors.Add(ref errors, Element(path), "must be an object of name → value, {\"ts\", \"values\"}, or an array of those");
            reader.Skip();
            return;
        }
        if (!HasTsAndValues(reader))
        {
            var fields = TelemetryBatch.ReadData(ref reader, payload, Named(path, "values"), ref errors) ?? [];
            if (fields.Length == 0) ValidationErrors.Add(ref errors, Named(path, "values"), "must hold at least one value");
            events.Add(new TelemetryEvent(nowMicros, fields));
            return;
        }
        long? ts = null;
        Field[]? values = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) && ms >= MinMillis && ms <= MaxMillis) ts = ms * 1000;
                else ValidationErrors.Add(ref errors, Named(path, "ts"), "must be Unix milliseconds as a whole number");
                reader.Skip();
            }
            else if (reader.ValueTextEquals("values"u8))
            {
                reader.Read();
                values = TelemetryBatch.ReadData(ref reader, payload, Named(path, "values"), ref errors);
                if (values is { Length: 0 }) ValidationErrors.Add(ref errors, Named(path, "values"), "must hold at least one value");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        events.Add(new TelemetryEvent(ts ?? nowMicros, values ?? []));
    }

    /// <summary>Whether the object at the reader is the timestamped form: it has both <c>ts</c> and <c>values</c>.</summary>
    private static bool HasTsAndValues(Utf8JsonReader reader)
    {
        bool ts = false, values = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ts |= reader.ValueTextEquals("ts"u8);
            values |= reader.ValueTextEquals("values"u8);
            reader.Read();
            reader.Skip();
        }
        return ts && values;
    }

    /// <summary>How errors name a part: <c>payload</c>, <c>payload[2]</c>, <c>payload[2].values</c>; in a gateway message, <c>device-a[0].values</c>.</summary>
    private static string Element(string path) => path.Length == 0 ? "payload" : path.StartsWith('[') ? "payload" + path : path;

    private static string Named(string path, string leaf) => path.Length == 0 ? leaf : $"{Element(path)}.{leaf}";
}
