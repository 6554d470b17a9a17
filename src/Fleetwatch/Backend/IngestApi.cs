using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Backend;

/// <summary>
/// The telemetry backend's ingest (CONTRACTS.md §4): one reading or a batch of up to 5,000, timestamped by the
/// server, answered 201 once committed. A device key writes its own device (named by the key or by a matching
/// <c>device_id</c>); other write keys name the device with <c>device_id</c>.
/// </summary>
/// <summary>A reading as sent, for the API document: <c>metrics</c> maps names to numbers (or send the numbers flat, beside <c>device_id</c>).</summary>
public sealed record ReadingBody(Dictionary<string, double> Metrics, string? DeviceId = null)
{
    public const string Example = """{"metrics":{"temperature":22.5,"humidity":65}}""";
    public const string BatchExample = """[{"device_id":"esp32-01","metrics":{"temperature":22.6}},{"device_id":"esp32-01","metrics":{"voltage":3.3}}]""";
}

public static class IngestApi
{
    private const int MaxOneBytes = 64 * 1024, MaxBatchBytes = 8 * 1024 * 1024;

    public static void MapIngest(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapBackendGroup("/api/v1/ingest").RequireAccess(Access.Write);
        group.MapPost("", IngestOneAsync).CountsAsIngest()
            .WithSummary("Send a reading")
            .WithDescription("`{device_id?, metrics: {name: number}}`, or the flat form `{temperature, humidity, …}` whose numbers are the metrics. A device's own " +
                "key writes that device; other write keys name it with `device_id`. Timestamped by the server; 201 once committed. temperature (−40..85), " +
                "humidity (0..100) and voltage (0..24) are range-checked (422 VALIDATION_ERROR); no numeric metric at all is 422 INVALID_PAYLOAD.")
            .Accepts<ReadingBody>("application/json").WithRequestExample(ReadingBody.Example)
            .Produces<Enveloped<ReadingResponse>>(StatusCodes.Status201Created);
        group.MapPost("/batch", IngestBatchAsync).CountsAsIngest()
            .WithSummary("Send a batch of readings")
            .WithDescription("An array of readings, or `{\"readings\": […]}`, up to 5,000, stored all or none in one transaction; 201 once committed.")
            .Accepts<ReadingBody[]>("application/json").WithRequestExample(ReadingBody.BatchExample)
            .Produces<Enveloped<ReadingResponse[]>>(StatusCodes.Status201Created);
    }

    private static async Task<IResult> IngestOneAsync(HttpContext http, IngestWriter writer, DeviceRegistry devices)
    {
        var (parsed, problem) = await JsonBody.ParseAsync(http.Request, MaxOneBytes,
            json => (Reading: ReadingRequest.ParseOne(json, out var errors, out var invalidPayload), Errors: errors, InvalidPayload: invalidPayload));
        if (problem is not null) return Problems.Coded(problem, BackendDevicesApi.InvalidPayload);
        if (parsed.Reading is not { } r) return Problems.Coded(Problems.Validation(parsed.Errors!), CodeOf(parsed.InvalidPayload));
        var (draft, refusal) = Draft(http, devices, r, Model.Clock.NowMicros());
        if (refusal is not null) return refusal;
        var stored = (await writer.WriteAsync([draft!], http.RequestAborted))[0];
        return new Envelope(StatusCodes.Status201Created, json => EventJson.WriteReading(json, stored, draft!.ExternalId));
    }

    private static async Task<IResult> IngestBatchAsync(HttpContext http, IngestWriter writer, DeviceRegistry devices)
    {
        var (parsed, problem) = await JsonBody.ParseAsync(http.Request, MaxBatchBytes, json =>
            (Readings: ReadingRequest.ParseBatch(json, out var errors, out var invalidPayload, out var tooMany), Errors: errors, InvalidPayload: invalidPayload, TooMany: tooMany));
        if (problem is not null) return Problems.Coded(problem, BackendDevicesApi.InvalidPayload);
        if (parsed.TooMany) return Problems.Coded(Problems.Validation("readings", $"at most {ReadingRequest.MaxBatch} readings per batch"), BackendDevicesApi.ValidationError);
        if (parsed.Readings is not { } readings) return Problems.Coded(Problems.Validation(parsed.Errors!), CodeOf(parsed.InvalidPayload));

        var now = Model.Clock.NowMicros();
        var drafts = new EventDraft[readings.Count];
        for (var i = 0; i < drafts.Length; i++)
        {
            var (draft, refusal) = Draft(http, devices, readings[i], now);
            if (refusal is not null) return refusal;
            drafts[i] = draft!;
        }
        // One request is one transaction: all readings are stored, or none.
        var stored = await writer.WriteAsync(drafts, http.RequestAborted);
        return new Envelope(StatusCodes.Status201Created, json =>
        {
            json.WriteStartArray();
            for (var i = 0; i < stored.Length; i++) EventJson.WriteReading(json, stored[i], drafts[i].ExternalId);
            json.WriteEndArray();
        });
    }

    /// <summary>No set of numeric metrics is INVALID_PAYLOAD; a metric out of its range or a bad device id, VALIDATION_ERROR.</summary>
    private static string CodeOf(bool invalidPayload) => invalidPayload ? BackendDevicesApi.InvalidPayload : BackendDevicesApi.ValidationError;

    /// <summary>The event for a reading, or why the caller may not write it (unknown, inactive or someone else's device).</summary>
    private static (EventDraft? Draft, ProblemResult? Refusal) Draft(HttpContext http, DeviceRegistry devices, Reading reading, long now)
    {
        var caller = http.GetCaller();
        DeviceRecord? device;
        if (caller.DeviceId is { } own)
        {
            device = devices.Get(own);
            if (device is null) return (null, BackendDevicesApi.NotFound(reading.DeviceId ?? own.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (reading.DeviceId is not null && reading.DeviceId != device.ExternalId)
                return (null, BackendAuth.Style.Forbidden(Caller.OtherDeviceDetail));
        }
        else
        {
            if (reading.DeviceId is null)
                return (null, Problems.Coded(Problems.Validation("device_id", "is required with a key that is not a device's own"), BackendDevicesApi.ValidationError));
            device = devices.Find(http.GetScope(), reading.DeviceId);
            if (device is null) return (null, BackendDevicesApi.NotFound(reading.DeviceId));
        }
        if (!device.IsActive) return (null, Problems.Coded(StatusCodes.Status409Conflict, $"Device is inactive: {device.ExternalId}", BackendDevicesApi.DeviceInactive));
        return (new EventDraft
        {
            ProjectId = device.ProjectId,
            ExternalId = device.ExternalId,
            DeviceId = device.Id,
            Kind = EventKind.Measurement,
            TsMicros = now,
            Fields = reading.Metrics,
        }, null);
    }
}
