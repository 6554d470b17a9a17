using System.Text.Json;
using Fleetwatch.Http;
using Fleetwatch.Model;

namespace Fleetwatch.Telemetry;

/// <summary>
/// Events as the telemetry API shows them: <c>{id, device_id, ts, kind, payload}</c>, the payload being the
/// event's fields as one JSON object whatever API stored it (a status's battery_level, an upload time, a
/// measurement's free-form data). Written directly, since payloads have no fixed shape.
/// </summary>
public sealed class EventJson(IReadOnlyList<StoredEvent> events, bool single) : IResult
{
    public static string KindName(EventKind kind) => kind switch
    {
        EventKind.Status => "status",
        EventKind.Heartbeat => "heartbeat",
        EventKind.UploadStat => "upload_stat",
        EventKind.Connectivity => "connectivity",
        _ => "measurement",
    };

    /// <summary>The kind a name stands for (<see cref="KindName"/> read backwards); null for a name no kind has.</summary>
    public static EventKind? KindOf(string name) => Enum.GetValues<EventKind>().Where(k => KindName(k) == name).Select(k => (EventKind?)k).FirstOrDefault();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        if (single)
        {
            Write(json, events[0]);
        }
        else
        {
            json.WriteStartArray();
            foreach (var e in events) Write(json, e);
            json.WriteEndArray();
        }
        await json.FlushAsync(httpContext.RequestAborted);
    }

    public static void Write(Utf8JsonWriter json, StoredEvent e)
    {
        json.WriteStartObject();
        json.WriteNumber("id", e.Id);
        json.WriteNumber("device_id", e.DeviceId);
        json.WriteString("ts", Timestamps.Format(e.TsMicros));
        json.WriteString("kind", KindName(e.Kind));
        WriteFields(json, "payload", e.Fields);
        json.WriteEndObject();
    }

    /// <summary>
    /// The telemetry backend's Reading: <c>{id, device_id, metrics, timestamp}</c>, with a string UUID id and the
    /// device's own string id as the original had them. Its metrics are numbers only, whichever API stored the
    /// event (a status's battery_level and rssi, not its online flag), since its clients read them as numbers.
    /// </summary>
    public static void WriteReading(Utf8JsonWriter json, StoredEvent e, string externalId)
    {
        json.WriteStartObject();
        json.WriteString("id", ReadingUid.Of(e.Id));
        json.WriteString("device_id", externalId);
        json.WriteStartObject("metrics");
        foreach (var field in e.Fields)
        {
            if (field.Value.Tag is not (ValueTag.Int or ValueTag.Double)) continue;
            json.WritePropertyName(field.Name);
            WriteValue(json, field.Value);
        }
        json.WriteEndObject();
        json.WriteString("timestamp", Timestamps.Format(e.TsMicros));
        json.WriteEndObject();
    }

    public static void WriteFields(Utf8JsonWriter json, string name, Field[] fields)
    {
        json.WriteStartObject(name);
        foreach (var field in fields)
        {
            json.WritePropertyName(field.Name);
            WriteValue(json, field.Value);
        }
        json.WriteEndObject();
    }

    internal static void WriteValue(Utf8JsonWriter json, FieldValue value)
    {
        switch (value.Tag)
        {
            case ValueTag.Null: json.WriteNullValue(); break;
            case ValueTag.True: json.WriteBooleanValue(true); break;
            case ValueTag.False: json.WriteBooleanValue(false); break;
            case ValueTag.Int: json.WriteNumberValue(value.Int); break;
            case ValueTag.Double: json.WriteNumberValue(value.Double); break;
            case ValueTag.Text: json.WriteStringValue(value.Text); break;
            default: json.WriteRawValue(value.Text!, skipInputValidation: true); break;
        }
    }
}
