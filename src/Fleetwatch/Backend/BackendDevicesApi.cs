using System.Globalization;
using System.Text.RegularExpressions;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Backend;

/// <summary>
/// The telemetry backend's device registry (CONTRACTS.md §4): devices of the caller's project (the default
/// project for anonymous reads and server keys), each with its own key that writes its data only.
/// </summary>
public static partial class BackendDevicesApi
{
    public const string DeviceNotFound = BackendAuth.DeviceNotFound, DeviceInactive = "DEVICE_INACTIVE", ValidationError = "VALIDATION_ERROR", InvalidPayload = "INVALID_PAYLOAD";

    public sealed record RegisterBody(string DeviceId, string? Name);

    public sealed record RegisteredDevice(string Id, string DeviceId, string Name, string ApiKey, string CreatedAt, string Message);
    public sealed record RotatedKey(string DeviceId, string ApiKey, string Message);
    public sealed record BackendDevice(string Id, string DeviceId, string Name, bool IsActive, string CreatedAt, string? LastSeenAt);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex DeviceIdFormat();

    public static void MapBackendDevices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapBackendGroup("/api/v1/devices");
        group.MapPost("", RegisterAsync).RequireAccess(Access.Admin)
            .WithSummary("Register a device").WithDescription("`device_id` of 1–64 letters, digits, `_` and `-`, and an optional `name`. The answer holds the " +
                "device's own key, shown once: it writes this device's readings and nothing else. 409 when the id is taken. Admin key.")
            .Accepts<RegisterBody>("application/json").Produces<Enveloped<RegisteredDevice>>(StatusCodes.Status201Created);
        group.MapGet("", ListAsync).RequireBackendRead().Produces<Enveloped<ListedDevice[]>>()
            .WithSummary("List active devices").WithDescription("Each with its reading count and latest reading. No key needed by default (the default project).");
        group.MapGet("/{device_id}", (HttpContext http, DeviceActivity activity) =>
            Envelope.Of(200, Describe(http.GetScope().Get<DeviceRecord>(), activity), FleetwatchJsonContext.Default.BackendDevice))
            .RequireBackendRead().Produces<Enveloped<BackendDevice>>()
            .WithSummary("Get a device").WithDescription("Whether it is active, and when it was last seen (the server's receive time).");
        group.MapDelete("/{device_id}", DeactivateAsync).RequireAccess(Access.Admin).Produces<Enveloped<BackendDevice>>()
            .WithSummary("Deactivate a device").WithDescription("Its ingest answers 409 from now on; its data stays readable. Admin key.");
        group.MapPost("/{device_id}/rotate-key", RotateKeyAsync).RequireAccess(Access.Admin).Produces<Enveloped<RotatedKey>>()
            .WithSummary("Replace a device's key").WithDescription("Revokes the device's keys and issues a new one, shown once. Admin key.");
    }

    public static ProblemResult NotFound(string deviceId) => BackendAuth.Style.NotFound("device", deviceId);

    public static BackendDevice Describe(DeviceRecord device, DeviceActivity activity) => new(DeviceUid.Of(device.Id), device.ExternalId,
        device.Name ?? device.ExternalId, device.IsActive, Timestamps.Format(device.CreatedMicros), activity.LastSeen(device.Id) is { } seen ? Timestamps.Format(seen) : null);

    private static async Task<IResult> RegisterAsync(HttpContext http, IDeviceStore store, IApiKeyStore keys, DeviceRegistry devices, ChangeBus changes)
    {
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return Problems.Coded(problem, problem.StatusCode == 422 ? ValidationError : InvalidPayload);
        string deviceId;
        string? name;
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var body = document!.RootElement;
            deviceId = JsonRequest.Text(body, "device_id", 64, required: true, ref errors) ?? "";
            if (errors is null && !DeviceIdFormat().IsMatch(deviceId)) ValidationErrors.Add(ref errors, "device_id", "must be 1 to 64 of A-Z, a-z, 0-9, _ and -");
            name = JsonRequest.Text(body, "name", 255, required: false, ref errors);
            if (errors is not null) return Problems.Coded(Problems.Validation(errors), ValidationError);
        }

        var projectId = http.GetScope().ProjectId;
        var device = await store.CreateDeviceAsync(projectId, deviceId, name ?? deviceId, [], http.RequestAborted);
        if (device is null) return Problems.Coded(StatusCodes.Status409Conflict, $"Device already exists: {deviceId}", "DEVICE_EXISTS");
        devices.Add(device);
        await changes.PublishAsync(ChangeBus.DeviceTopic, device.Id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        var key = ApiKeys.Generate(projectId, KeyRole.Ingest, $"device {deviceId}", device.Id);
        await keys.InsertKeyAsync(key, http.RequestAborted);
        return Envelope.Of(StatusCodes.Status201Created, new RegisteredDevice(DeviceUid.Of(device.Id), deviceId, device.Name!, key.Plaintext,
            Timestamps.Format(device.CreatedMicros), "Device registered. Store the API key now: it is shown only once."), FleetwatchJsonContext.Default.RegisteredDevice);
    }

    private static async Task<IResult> ListAsync(HttpContext http, DeviceRegistry devices, DeviceActivity activity, ITelemetryStore store, MetricDictionary metrics)
    {
        var active = devices.InProject(http.GetScope().ProjectId).Where(d => d.IsActive).ToList();
        var rows = new List<(DeviceRecord Device, long Count, StoredEvent? Latest)>(active.Count);
        foreach (var device in active)
        {
            var latest = await store.ReadEventsAsync(EventQuery.Page(device.Id, EventQuery.Readings, long.MinValue, long.MaxValue, ascending: false, 1), metrics, http.RequestAborted);
            rows.Add((device, await store.CountEventsAsync(device.Id, EventQuery.Readings, http.RequestAborted), latest.Count > 0 ? latest[0] : null));
        }
        return new Envelope(StatusCodes.Status200OK, json =>
        {
            json.WriteStartArray();
            foreach (var (device, count, latest) in rows)
            {
                var described = Describe(device, activity);
                json.WriteStartObject();
                json.WriteString("id", described.Id);
                json.WriteString("device_id", described.DeviceId);
                json.WriteString("name", described.Name);
                json.WriteBoolean("is_active", described.IsActive);
                json.WriteString("created_at", described.CreatedAt);
                json.WriteStringOrNull("last_seen_at", described.LastSeenAt);
                json.WriteNumber("reading_count", count);
                json.WritePropertyName("latest_reading");
                if (latest is null) json.WriteNullValue();
                else EventJson.WriteReading(json, latest, device.ExternalId);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });
    }

    private static async Task<IResult> DeactivateAsync(HttpContext http, IDeviceStore store, DeviceRegistry devices, DeviceActivity activity, ChangeBus changes)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        await store.DeactivateDeviceAsync(device.Id, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.DeviceTopic, device.Id.ToString(CultureInfo.InvariantCulture), http.RequestAborted);
        return Envelope.Of(StatusCodes.Status200OK, Describe(devices.Get(device.Id) ?? device, activity), FleetwatchJsonContext.Default.BackendDevice);
    }

    private static async Task<IResult> RotateKeyAsync(HttpContext http, IApiKeyStore keys, ChangeBus changes)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        foreach (var old in (await keys.ListKeysAsync(device.ProjectId, http.RequestAborted)).Where(k => k.DeviceId == device.Id && k.RevokedMicros is null))
        {
            await keys.RevokeKeyAsync(old.Prefix, http.RequestAborted);
            await changes.PublishAsync(ChangeBus.KeyTopic, old.Prefix, http.RequestAborted);
        }
        var key = ApiKeys.Generate(device.ProjectId, KeyRole.Ingest, $"device {device.ExternalId}", device.Id);
        await keys.InsertKeyAsync(key, http.RequestAborted);
        return Envelope.Of(StatusCodes.Status200OK, new RotatedKey(device.ExternalId, key.Plaintext, "New key issued; the old one no longer works."),
            FleetwatchJsonContext.Default.RotatedKey);
    }
}
