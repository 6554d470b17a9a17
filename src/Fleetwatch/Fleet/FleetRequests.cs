using System.Text.Json;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Fleet;

/// <summary>A validated heartbeat (<c>{"sent_at"}</c>) or upload stat (<c>{"sent_at","upload_time"}</c>) body.</summary>
public readonly record struct FleetReport(long SentAtMicros, long UploadNanoseconds)
{
    /// <summary>The heartbeat or upload stat as an event of <paramref name="device"/>.</summary>
    public EventDraft Draft(DeviceRecord device, EventKind kind) => new()
    {
        ProjectId = device.ProjectId,
        ExternalId = device.ExternalId,
        DeviceId = device.Id,
        Kind = kind,
        TsMicros = SentAtMicros,
        Fields = kind == EventKind.UploadStat ? [new Field(FleetState.UploadTimeField, FieldValue.Of(UploadNanoseconds))] : [],
    };

    /// <summary>One pass over the bytes; unknown fields are ignored. Throws <see cref="JsonException"/> only for text that is not JSON.</summary>
    public static FleetReport? Parse(ReadOnlySpan<byte> json, bool withUploadTime, out Dictionary<string, string[]>? errors)
    {
        errors = null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            while (reader.Read()) { }
            ValidationErrors.Add(ref errors, "body", "must be a JSON object");
            return null;
        }
        long? sentAt = null, upload = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSentAt = !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual("sent_at"u8);
            var isUpload = withUploadTime && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual("upload_time"u8);
            reader.Read();
            if (isSentAt)
            {
                if (reader.TokenType == JsonTokenType.String && Timestamps.TryParse(reader.GetString(), out var micros)) sentAt = micros;
                else ValidationErrors.Add(ref errors, "sent_at", $"must be {Timestamps.FormatHint}");
            }
            else if (isUpload)
            {
                // Whole nanoseconds within int64: strings, fractions, null and larger numbers are refused.
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ns)) upload = ns;
                else ValidationErrors.Add(ref errors, "upload_time", "must be a whole number of nanoseconds within the int64 range");
            }
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        }
        while (reader.Read()) { }
        if (sentAt is null && errors?.ContainsKey("sent_at") != true) ValidationErrors.Add(ref errors, "sent_at", "is required");
        if (withUploadTime && upload is null && errors?.ContainsKey("upload_time") != true) ValidationErrors.Add(ref errors, "upload_time", "is required");
        return errors is null ? new FleetReport(sentAt!.Value, upload ?? 0) : null;
    }
}
