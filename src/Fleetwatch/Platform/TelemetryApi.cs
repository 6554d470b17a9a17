using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Platform;

/// <summary>
/// The platform API's telemetry (CONTRACTS.md §3): batches of timestamped events in, a device's events out.
/// Every kind of event of the device shows here — a status posted on /status, heartbeats, upload stats —
/// since all are rows of the one event store.
/// </summary>
public static class TelemetryApi
{
    // 5,000 events with a few metrics each fit easily; the limit stops a runaway client, not a real batch.
    private const int MaxBodyBytes = 8 * 1024 * 1024;
    private const int DefaultLimit = 100, MaxLimit = 1000;

    public sealed record Accepted(int Queued, long DeviceId);

    /// <summary>The batch body, for the API document: <c>ts</c> is RFC 3339 with an offset or Unix seconds; <c>data</c> any object.</summary>
    public sealed record TelemetryBatchBody(string DeviceExternalId, TelemetryEventBody[] Events)
    {
        public const string Example = """{"device_external_id":"sensor-01","events":[{"ts":"2025-01-01T12:00:00Z","data":{"temperature":21.5,"label":"hall"}},{"ts":1735732860,"data":{"temperature":21.7}}]}""";
    }

    public sealed record TelemetryEventBody(System.Text.Json.JsonElement Ts, Dictionary<string, System.Text.Json.JsonElement> Data);

    public static RouteGroupBuilder MapTelemetry(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapPlatformGroup("/telemetry");
        group.MapPost("", PostBatch).RequireAccess(Access.Write).RequireRateLimiting(RateLimits.Telemetry).CountsAsIngest()
            .WithSummary("Send a batch of events")
            .WithDescription("Up to 5,000 events of one registered device, each with `ts` (ISO 8601, UTC without an offset, or Unix seconds) and `data` " +
                "(any object). All are stored or none: one bad event rejects the batch with 422 naming it (`events[4321].ts`). 202 means committed.")
            .Accepts<TelemetryBatchBody>("application/json").WithRequestExample(TelemetryBatchBody.Example).Produces<Accepted>(StatusCodes.Status202Accepted);
        group.MapGet("/devices/{device_id:long}/telemetry", (long device_id, string? limit, HttpContext http, ITelemetryStore store, MetricDictionary metrics) =>
            ListAsync(device_id, long.MinValue, limit, http, store, metrics)).RequireAccess(Access.Read).Produces<EventResponse[]>()
            .WithSummary("List a device's events").WithDescription("Newest first, `limit` 1–1000 (100): every event of the device, whichever API stored it, with its `kind`.");
        group.MapGet("/devices/{device_id:long}/telemetry/since", SinceAsync).RequireAccess(Access.Read).Produces<EventResponse[]>()
            .WithSummary("List a device's events since a time").WithDescription("Events at or after `since_ts` (Unix seconds), newest first, `limit` 1–1000 (100).");
        group.MapGet("/devices/{device_id:long}/telemetry/latest", GetLatest).RequireAccess(Access.Read).Produces<EventResponse>()
            .WithSummary("Get a device's latest event").WithDescription("The event with the greatest timestamp; 404 when the device has none.");
        return group;
    }

    private static async Task<IResult> PostBatch(HttpContext http, IngestWriter writer, DeviceRegistry devices)
    {
        var (parsed, problem) = await JsonBody.ParseAsync(http.Request, MaxBodyBytes, json => TelemetryBatch.Parse(json));
        if ((problem ?? parsed.Problem) is { } refused) return refused;
        var (externalId, events, _) = parsed;

        var scope = http.GetScope();
        var projectId = scope.ProjectId;
        if (!devices.TryGetId(projectId, externalId!, out var deviceId)) return Problems.NotFound("device not found");
        if (!devices.TryFindWritable(scope, externalId!, out _)) return PlatformAuth.Style.Forbidden(Caller.OtherDeviceDetail);
        var drafts = new EventDraft[events!.Count];
        for (var i = 0; i < drafts.Length; i++)
        {
            drafts[i] = new EventDraft
            {
                ProjectId = projectId,
                ExternalId = externalId!,
                DeviceId = deviceId,
                Kind = EventKind.Measurement,
                TsMicros = events[i].TsMicros,
                Fields = events[i].Fields,
            };
        }
        // Answered only once committed: a 202 from Fleetwatch means durable, not merely queued.
        await writer.WriteAsync(drafts, http.RequestAborted);
        return TypedResults.Json(new Accepted(drafts.Length, deviceId), FleetwatchJsonContext.Default.Accepted, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ListAsync(long deviceId, long fromMicros, string? limitText, HttpContext http, ITelemetryStore store, MetricDictionary metrics)
    {
        var limit = DefaultLimit;
        if (limitText is not null && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxLimit))
            return Problems.Validation("limit", $"must be a whole number from 1 to {MaxLimit}");
        var query = EventQuery.Page(deviceId, EventQuery.FromDevices, fromMicros, long.MaxValue, ascending: false, limit);
        return new EventJson(await store.ReadEventsAsync(query, metrics, http.RequestAborted), single: false);
    }

    private static Task<IResult> SinceAsync(long device_id, string? since_ts, string? limit, HttpContext http, ITelemetryStore store, MetricDictionary metrics)
    {
        if (since_ts is null || !double.TryParse(since_ts, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var since) || !double.IsFinite(since))
            return Task.FromResult<IResult>(Problems.Validation("since_ts", "is required: Unix seconds, such as 1718359200"));
        return ListAsync(device_id, (long)Math.Clamp(Math.Ceiling(since * 1e6), long.MinValue / 2, long.MaxValue / 2), limit, http, store, metrics);
    }

    private static async Task<IResult> GetLatest(long device_id, HttpContext http, ITelemetryStore store, MetricDictionary metrics)
    {
        var latest = await store.ReadEventsAsync(EventQuery.Page(device_id, EventQuery.FromDevices, long.MinValue, long.MaxValue, ascending: false, 1), metrics, http.RequestAborted);
        return latest.Count == 0 ? Problems.NotFound("no telemetry for this device") : new EventJson(latest, single: true);
    }
}
