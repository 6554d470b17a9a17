using System.Globalization;
using System.Text.Json;
using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Status;
using MQTTnet.Protocol;

namespace Fleetwatch.Mqtt;

/// <summary>A message turned into events, or why it was refused (with the reason an MQTT 5 PUBACK carries, and a metric label).</summary>
public readonly record struct MqttOutcome(EventDraft[]? Drafts, MqttPubAckReasonCode Code, string? Reason, string Result)
{
    public static MqttOutcome Stored(EventDraft[] drafts) => new(drafts, MqttPubAckReasonCode.Success, null, "stored");
    public static MqttOutcome Invalid(string reason) => new(null, MqttPubAckReasonCode.PayloadFormatInvalid, reason, "invalid");
    public static MqttOutcome Unauthorized(string reason) => new(null, MqttPubAckReasonCode.NotAuthorized, reason, "unauthorized");
}

/// <summary>
/// The topics a device may publish to (ThingsBoard's where it has one, so its SDKs and gateway work), each mapped onto
/// the same events, validation and device rules as the HTTP API that takes the same body.
/// </summary>
public static class MqttMessages
{
    public const string Telemetry = "v1/devices/me/telemetry", Status = "v1/devices/me/status", Heartbeat = "v1/devices/me/heartbeat",
        Stats = "v1/devices/me/stats", GatewayTelemetry = "v1/gateway/telemetry";

    private const int MaxReasonLength = 500;

    public static MqttOutcome Parse(MqttConnection connection, string topic, ReadOnlySpan<byte> payload, DeviceRegistry devices, long nowMicros)
    {
        try
        {
            return topic switch
            {
                Telemetry => ParseTelemetry(connection, payload, devices, nowMicros),
                Status => ParseStatus(connection, payload, devices),
                Heartbeat => ParseReport(connection, payload, devices, EventKind.Heartbeat, nowMicros),
                Stats => ParseReport(connection, payload, devices, EventKind.UploadStat, nowMicros),
                GatewayTelemetry => ParseGateway(connection, payload, devices, nowMicros),
                _ => new MqttOutcome(null, MqttPubAckReasonCode.TopicNameInvalid,
                    $"unknown topic {Shorten(topic)}: publish to {Telemetry}, {Status}, {Heartbeat}, {Stats} or {GatewayTelemetry}", "unknown_topic"),
            };
        }
        catch (Exception e) when (JsonText.Unreadable(e, payload) is { } unreadable)
        {
            return MqttOutcome.Invalid(unreadable.Detail);
        }
    }

    private static MqttOutcome ParseTelemetry(MqttConnection connection, ReadOnlySpan<byte> payload, DeviceRegistry devices, long nowMicros)
    {
        var events = ThingsBoardTelemetry.Parse(payload, nowMicros, out var errors);
        if (events is null) return MqttOutcome.Invalid(Describe(errors!));
        var (device, refusal) = Me(connection, devices);
        if (refusal is not null) return refusal.Value;
        return MqttOutcome.Stored([.. events.Select(e => Draft(connection.ProjectId, device, EventKind.Measurement, e.TsMicros, e.Fields))]);
    }

    private static MqttOutcome ParseStatus(MqttConnection connection, ReadOnlySpan<byte> payload, DeviceRegistry devices)
    {
        if (StatusRequest.Parse(payload, out var errors) is not { } status) return MqttOutcome.Invalid(Describe(errors!));
        // As on POST /status: the body names the device; a device's own key may name only itself.
        if (connection.OwnDevice is { } own && own.ExternalId != status.DeviceId) return MqttOutcome.Unauthorized(Auth.Caller.OtherDeviceDetail);
        var (device, refusal) = Named(connection, devices, status.DeviceId);
        return refusal ?? MqttOutcome.Stored([status.Draft(connection.ProjectId, device.Id)]);
    }

    /// <summary>A heartbeat (<c>{"sent_at"}</c>, or an empty payload: sent now) or upload stat (<c>{"sent_at","upload_time"}</c>), as the fleet API takes them.</summary>
    private static MqttOutcome ParseReport(MqttConnection connection, ReadOnlySpan<byte> payload, DeviceRegistry devices, EventKind kind, long nowMicros)
    {
        FleetReport report;
        if (kind == EventKind.Heartbeat && payload.Trim(" \t\r\n"u8).IsEmpty) report = new FleetReport(nowMicros, 0);
        else if (FleetReport.Parse(payload, kind == EventKind.UploadStat, out var errors) is { } parsed) report = parsed;
        else return MqttOutcome.Invalid(Describe(errors!));
        var (device, refusal) = Me(connection, devices);
        if (refusal is not null) return refusal.Value;
        Field[] fields = kind == EventKind.UploadStat ? [new Field(FleetState.UploadTimeField, FieldValue.Of(report.UploadNanoseconds))] : [];
        return MqttOutcome.Stored([Draft(connection.ProjectId, device, kind, report.SentAtMicros, fields)]);
    }

    /// <summary><c>{"device-a":[{"ts":…,"values":{…}}], "device-b":{…}}</c>: telemetry of several devices, for keys that are not one device's.</summary>
    private static MqttOutcome ParseGateway(MqttConnection connection, ReadOnlySpan<byte> payload, DeviceRegistry devices, long nowMicros)
    {
        if (connection.OwnDevice is not null) return MqttOutcome.Unauthorized("a device's own key may not publish for other devices: use a project key for a gateway");
        var reader = new Utf8JsonReader(payload);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject) return MqttOutcome.Invalid("payload: must be an object of device id → telemetry");
        Dictionary<string, string[]>? errors = null;
        var perDevice = new List<(string Device, List<Platform.TelemetryEvent> Events)>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name.Length is 0 or > StatusRequest.MaxDeviceIdLength)
            {
                ValidationErrors.Add(ref errors, "payload", $"device ids must have 1 to {StatusRequest.MaxDeviceIdLength} characters");
                reader.Skip();
                continue;
            }
            perDevice.Add((name, ThingsBoardTelemetry.Read(ref reader, payload, name, nowMicros, ref errors)));
        }
        if (errors is not null) return MqttOutcome.Invalid(Describe(errors));
        if (perDevice.Count == 0) return MqttOutcome.Invalid("payload: must name at least one device");
        var drafts = new List<EventDraft>();
        foreach (var (name, events) in perDevice)
        {
            var (device, refusal) = Named(connection, devices, name);
            if (refusal is not null) return refusal.Value;
            drafts.AddRange(events.Select(e => Draft(connection.ProjectId, device, EventKind.Measurement, e.TsMicros, e.Fields)));
        }
        return MqttOutcome.Stored([.. drafts]);
    }

    /// <summary>The device <c>me</c> stands for: a device key's own device, else the one named by the client id.</summary>
    private static ((long Id, string ExternalId) Device, MqttOutcome? Refusal) Me(MqttConnection connection, DeviceRegistry devices)
    {
        if (connection.OwnDevice is { } own) return devices.Get(own.Id) is { IsActive: false } ? (default, Deactivated(own.ExternalId)) : ((own.Id, own.ExternalId), null);
        if (connection.DeviceName.Length is 0 or > StatusRequest.MaxDeviceIdLength)
            return (default, MqttOutcome.Invalid($"with a project key, the client id names the device: it must have 1 to {StatusRequest.MaxDeviceIdLength} characters"));
        return Named(connection, devices, connection.DeviceName);
    }

    /// <summary>A device of the connection's project by its id (0: the write creates it, as the HTTP ingest APIs do).</summary>
    private static ((long Id, string ExternalId) Device, MqttOutcome? Refusal) Named(MqttConnection connection, DeviceRegistry devices, string externalId)
    {
        devices.TryGetId(connection.ProjectId, externalId, out var id);
        if (id != 0 && devices.Get(id) is { IsActive: false }) return (default, Deactivated(externalId));
        return ((id, externalId), null);
    }

    private static MqttOutcome Deactivated(string device) => MqttOutcome.Unauthorized($"device {Shorten(device)} is deactivated");

    private static EventDraft Draft(long projectId, (long Id, string ExternalId) device, EventKind kind, long tsMicros, Field[] fields) => new()
    {
        ProjectId = projectId, ExternalId = device.ExternalId, DeviceId = device.Id, Kind = kind, TsMicros = tsMicros, Fields = fields,
    };

    /// <summary>Every bad field and why, as one line (an MQTT 5 reason string).</summary>
    private static string Describe(Dictionary<string, string[]> errors)
    {
        var text = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        return text.Length <= MaxReasonLength ? text : text[..(MaxReasonLength - 1)] + "…";
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..63]}…");
}
