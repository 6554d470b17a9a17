using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Status;

/// <summary>A validated <c>POST /status</c> body.</summary>
public readonly record struct StatusRequest(string DeviceId, long TsMicros, int BatteryLevel, int Rssi, bool Online)
{
    public const int MaxDeviceIdLength = 128;
    public const int MinRssi = -200;
    public const int MaxRssi = 50;

    /// <summary>
    /// Validates in one pass over the bytes, naming each bad field (CONTRACTS.md §1). Unknown fields are
    /// ignored. Throws <see cref="JsonException"/> only for text that is not JSON at all.
    /// </summary>
    /// <summary>The status as an event of the device (<paramref name="deviceId"/> 0: the write creates it).</summary>
    public EventDraft Draft(long projectId, long deviceId) => new()
    {
        ProjectId = projectId,
        ExternalId = DeviceId,
        DeviceId = deviceId,
        Kind = EventKind.Status,
        TsMicros = TsMicros,
        Fields =
        [
            new Field(StatusFields.BatteryLevel, FieldValue.Of(BatteryLevel)),
            new Field(StatusFields.Rssi, FieldValue.Of(Rssi)),
            new Field(StatusFields.Online, FieldValue.Of(Online)),
        ],
    };

    public static StatusRequest? Parse(ReadOnlySpan<byte> json, out Dictionary<string, string[]>? errors)
    {
        errors = null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            ValidationErrors.Add(ref errors, "body", "must be a JSON object");
            return null;
        }

        string? deviceId = null;
        long? ts = null;
        int? battery = null, rssi = null;
        bool? online = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            reader.Read();
            if (escaped)
            {
                reader.Skip();
            }
            else if (name.SequenceEqual("device_id"u8))
            {
                if (reader.TokenType != JsonTokenType.String) ValidationErrors.Add(ref errors, "device_id", $"must be a string, not {Describe(reader.TokenType)}");
                else if (reader.GetString() is not { Length: >= 1 and <= MaxDeviceIdLength } id || string.IsNullOrWhiteSpace(id))
                    ValidationErrors.Add(ref errors, "device_id", $"must be 1 to {MaxDeviceIdLength} characters and not blank");
                else deviceId = id;
            }
            else if (name.SequenceEqual("timestamp"u8))
            {
                if (reader.TokenType != JsonTokenType.String) ValidationErrors.Add(ref errors, "timestamp", $"must be a string, not {Describe(reader.TokenType)}");
                else if (!Timestamps.TryParse(reader.GetString(), out var micros)) ValidationErrors.Add(ref errors, "timestamp", $"must be {Timestamps.FormatHint}");
                else ts = micros;
            }
            else if (name.SequenceEqual("battery_level"u8))
            {
                battery = ReadInt(ref reader, "battery_level", 0, 100, ref errors);
            }
            else if (name.SequenceEqual("rssi"u8))
            {
                rssi = ReadInt(ref reader, "rssi", MinRssi, MaxRssi, ref errors);
            }
            else if (name.SequenceEqual("online"u8))
            {
                if (reader.TokenType is JsonTokenType.True or JsonTokenType.False) online = reader.GetBoolean();
                else ValidationErrors.Add(ref errors, "online", $"must be true or false, not {Describe(reader.TokenType)}");
            }
            // Unknown fields are ignored; a known field given an object or array was reported above. Either way, step over the value.
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        }
        // Reads to the end, so trailing garbage after the object is reported as malformed JSON.
        while (reader.Read()) { }

        if (deviceId is null && errors?.ContainsKey("device_id") != true) ValidationErrors.Add(ref errors, "device_id", "is required");
        if (ts is null && errors?.ContainsKey("timestamp") != true) ValidationErrors.Add(ref errors, "timestamp", "is required");
        if (battery is null && errors?.ContainsKey("battery_level") != true) ValidationErrors.Add(ref errors, "battery_level", "is required");
        if (rssi is null && errors?.ContainsKey("rssi") != true) ValidationErrors.Add(ref errors, "rssi", "is required");
        if (online is null && errors?.ContainsKey("online") != true) ValidationErrors.Add(ref errors, "online", "is required");
        return errors is null ? new StatusRequest(deviceId!, ts!.Value, battery!.Value, rssi!.Value, online!.Value) : null;
    }

    private static int? ReadInt(ref Utf8JsonReader reader, string field, int min, int max, ref Dictionary<string, string[]>? errors)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            ValidationErrors.Add(ref errors, field, $"must be an integer, not {Describe(reader.TokenType)}");
            return null;
        }
        if (!reader.TryGetInt64(out var value))
        {
            ValidationErrors.Add(ref errors, field, $"must be a whole number from {min} to {max}");
            return null;
        }
        if (value < min || value > max)
        {
            ValidationErrors.Add(ref errors, field, $"must be from {min} to {max}, got {value}");
            return null;
        }
        return (int)value;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
