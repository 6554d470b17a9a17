using System.Text;
using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Platform;

namespace Fleetwatch.Transfer;

/// <summary>One event read from an import file, or why its line was refused.</summary>
public readonly record struct ImportedEvent(string DeviceId, EventKind Kind, long TsMicros, Field[] Fields);

public readonly record struct ImportError(long Line, string Field, string Reason);

/// <summary>
/// Reads the export formats back, one line at a time: NDJSON events, the CSV's rows (consecutive rows of one device,
/// time and kind are one event), and ThingsBoard's <c>{ts, values}</c> objects (ts in Unix milliseconds) for one device.
/// A line that cannot be read is reported with its number and the field at fault; the others are kept.
/// </summary>
public static class ImportParser
{
    public const string CsvHeader = CsvExportWriter.Header;
    private const int MaxDeviceIdLength = 128;

    /// <summary>An NDJSON line: <c>{"device_id", "ts", "kind" (measurement when missing), "payload": {…}}</c>.</summary>
    public static (ImportedEvent? Event, ImportError? Error) ParseNdjson(long line, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return (null, new ImportError(line, "line", "must be a JSON object"));
            string? device = null, kindName = null;
            long? ts = null;
            Field[]? fields = null;
            Dictionary<string, string[]>? errors = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "device_id" when reader.TokenType == JsonTokenType.String: device = reader.GetString(); break;
                    case "ts" when reader.TokenType == JsonTokenType.String:
                        if (Timestamps.TryParse(reader.GetString(), out var micros)) ts = micros;
                        else return (null, new ImportError(line, "ts", $"must be {Timestamps.FormatHint}"));
                        break;
                    case "kind" when reader.TokenType == JsonTokenType.String: kindName = reader.GetString(); break;
                    case "payload": fields = TelemetryBatch.ReadData(ref reader, bytes, "payload", ref errors); break;
                    case "device_id" or "ts" or "kind": return (null, new ImportError(line, name, "must be a string"));
                    default: reader.Skip(); break;
                }
            }
            if (errors is not null) return (null, new ImportError(line, errors.Keys.First(), errors.Values.First()[0]));
            if (ts is null) return (null, new ImportError(line, "ts", "is required"));
            return Make(line, device, kindName ?? "measurement", ts.Value, fields ?? []);
        }
        catch (JsonException)
        {
            return (null, new ImportError(line, "line", "is not valid JSON"));
        }
    }

    /// <summary>A CSV row's fields after the header: device_id, ts, kind, metric, value (JSON text; empty with no metric).</summary>
    public static (ImportedEvent? Event, Field? Field, ImportError? Error) ParseCsvRow(long line, List<string> row)
    {
        if (row.Count != 5) return (null, null, new ImportError(line, "line", $"must have 5 fields ({CsvHeader}), not {row.Count}"));
        if (!Timestamps.TryParse(row[1], out var ts)) return (null, null, new ImportError(line, "ts", $"must be {Timestamps.FormatHint}"));
        var (made, error) = Make(line, row[0], row[2], ts, []);
        if (error is not null) return (null, null, error);
        if (row[3].Length == 0) return row[4].Length == 0 ? (made, null, null) : (null, null, new ImportError(line, "metric", "is required with a value"));
        if (row[3].Length > TelemetryBatch.MaxFieldNameLength) return (null, null, new ImportError(line, "metric", $"must have 1 to {TelemetryBatch.MaxFieldNameLength} characters"));
        var bytes = Encoding.UTF8.GetBytes(row[4]);
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read()) return (null, null, new ImportError(line, "value", "is required: a JSON value (a number, true, false, null or a quoted string)"));
            var value = TelemetryBatch.ReadValue(ref reader, bytes);
            if (reader.Read()) return (null, null, new ImportError(line, "value", "must be one JSON value"));
            if (value.Tag == ValueTag.Double && !double.IsFinite(value.Double)) return (null, null, new ImportError(line, "value", "must be a finite number"));
            return (made, new Field(row[3], value), null);
        }
        catch (JsonException)
        {
            return (null, null, new ImportError(line, "value", "must be JSON text: a number, true, false, null or a quoted string"));
        }
    }

    /// <summary>ThingsBoard's telemetry objects: <c>{"ts": 1451649600512, "values": {…}}</c>, one or an array of them.</summary>
    public static IEnumerable<(ImportedEvent? Event, ImportError? Error)> ParseThingsBoard(byte[] body, string deviceId)
    {
        var results = new List<(ImportedEvent?, ImportError?)>();
        Dictionary<string, string[]>? errors = null;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        var array = reader.TokenType == JsonTokenType.StartArray;
        if (array) reader.Read();
        long index = 0;
        while (reader.TokenType != JsonTokenType.EndArray && reader.TokenType != JsonTokenType.None)
        {
            index++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                results.Add((null, new ImportError(index, "item", "must be an object {ts, values}")));
                reader.Skip();
            }
            else
            {
                long? ts = null;
                Field[]? fields = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "ts" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var millis) && millis is > -62135596800000 and < 253402300800000) ts = millis * 1000;
                    else if (name == "values") fields = TelemetryBatch.ReadData(ref reader, body, "values", ref errors);
                    else reader.Skip();
                }
                if (errors is not null) results.Add((null, new ImportError(index, errors.Keys.First(), errors.Values.First()[0])));
                else if (ts is null) results.Add((null, new ImportError(index, "ts", "is required: Unix milliseconds")));
                else
                {
                    var (made, error) = Make(index, deviceId, "measurement", ts.Value, fields ?? []);
                    results.Add((made, error));
                }
                errors = null;
            }
            if (!array || !reader.Read()) break;
        }
        return results;
    }

    /// <summary>An event without values yet, or why its row was refused (for readers that gather the values themselves).</summary>
    public static (ImportedEvent? Event, ImportError? Error) Event(long line, string? device, string kindName, long ts) => Make(line, device, kindName, ts, []);

    private static (ImportedEvent? Event, ImportError? Error) Make(long line, string? device, string kindName, long ts, Field[] fields)
    {
        if (device is not { Length: > 0 and <= MaxDeviceIdLength }) return (null, new ImportError(line, "device_id", $"must be a string of 1 to {MaxDeviceIdLength} characters"));
        if (Telemetry.EventJson.KindOf(kindName) is not { } kind) return (null, new ImportError(line, "kind", "must be status, heartbeat, upload_stat or measurement"));
        if (!kind.IsFromDevice()) return (null, new ImportError(line, "kind", "connectivity events are the server's own record and are not imported"));
        return (new ImportedEvent(device, kind, ts, fields), null);
    }
}
