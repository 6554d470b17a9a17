using Fleetwatch.Metrics;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Ingest;
using Fleetwatch.Storage;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Fleet;

public sealed record FleetStatsResponse(double Uptime, string AvgUploadTime);

public sealed record DailyUptime(string Date, long HeartbeatMinutes, double Uptime);

public sealed record DailyUptimeResponse(string DeviceId, DailyUptime[] Days);

/// <summary>The fleet API's request bodies, for the API document.</summary>
public sealed record HeartbeatBody(string SentAt);

/// <param name="UploadTime">Nanoseconds, a 64-bit integer.</param>
public sealed record UploadStatBody(string SentAt, long UploadTime);

public sealed record DebugStatsResponse(string DeviceId, long HeartbeatCount, long DistinctMinutes, long StatsCount, long AvgUploadTimeNs, string AvgUploadTime, double Uptime);

/// <summary>
/// The fleet-monitoring API of the SafelyYou device simulator (CONTRACTS.md §2). Heartbeats and upload stats
/// are events of the device like any status; uptime and average come from <see cref="FleetState"/>.
/// </summary>
public static class FleetApi
{
    private const int MaxBodyBytes = 4 * 1024;

    public static RouteGroupBuilder MapFleet(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices/{device_id}");
        group.AddEndpointFilter(AuthenticateAsync);
        group.MapPost("/heartbeat", (string device_id, HttpContext http, IngestWriter writer, DeviceRegistry devices) =>
            ReportAsync(device_id, http, writer, devices, EventKind.Heartbeat)).RequireWriteRole().CountsAsIngest()
            .Accepts<HeartbeatBody>("application/json").Produces(StatusCodes.Status204NoContent);
        group.MapPost("/stats", (string device_id, HttpContext http, IngestWriter writer, DeviceRegistry devices) =>
            ReportAsync(device_id, http, writer, devices, EventKind.UploadStat)).RequireWriteRole().CountsAsIngest()
            .Accepts<UploadStatBody>("application/json").Produces(StatusCodes.Status204NoContent);
        group.MapGet("/stats", GetStats).RequireReadRole().Produces<FleetStatsResponse>().Produces(StatusCodes.Status204NoContent);
        group.MapGet("/uptime", GetDailyUptime).RequireReadRole().Produces<DailyUptimeResponse>();

        routes.MapGet("/", () => TypedResults.Ok(new RootResponse("Fleetwatch", HealthApi.Version, "/health")));
        var debug = routes.MapGroup("/debug").RequireApiKey(AuthStyle.DeviceStatus);
        debug.AddEndpointFilter(async (context, next) => context.HttpContext.GetCaller().Role == KeyRole.Admin
            ? await next(context) : Problems.Of(StatusCodes.Status403Forbidden, "The debug endpoints need an admin key"));
        debug.MapGet("/devices", (HttpContext http, DeviceRegistry devices, Tenancy tenancy) =>
            TypedResults.Ok(devices.InProject(tenancy.ProjectOf(http.GetCaller())).Select(d => new DebugDevice(d.ExternalId)).ToArray()));
        debug.MapGet("/stats/{device_id}", IResult (string device_id, HttpContext http, DeviceRegistry devices, FleetState fleet, Tenancy tenancy) =>
        {
            if (!devices.TryGetId(tenancy.ProjectOf(http.GetCaller()), device_id, out var id)) return NotFound();
            var s = fleet.Get(id) ?? new FleetStats(0, 0, 0, 0, 0);
            return TypedResults.Ok(new DebugStatsResponse(device_id, s.Heartbeats, s.DistinctMinutes, s.Uploads, s.AverageUploadNanoseconds,
                GoDuration.Format(s.AverageUploadNanoseconds), s.Uptime));
        });
        return group;
    }

    private static async Task<IResult> ReportAsync(string deviceId, HttpContext http, IngestWriter writer, DeviceRegistry devices, EventKind kind)
    {
        var projectId = http.RequestServices.GetRequiredService<Tenancy>().ProjectOf(http.GetCaller());
        if (!devices.TryGetId(projectId, deviceId, out var id)) return NotFound();
        if (!http.GetCaller().MayWriteTo(id)) return Fail(StatusCodes.Status403Forbidden, Caller.OtherDeviceDetail);
        var (body, problem) = await JsonBody.ReadAsync(http.Request, MaxBodyBytes);
        if (problem is not null) return WithMsg(problem);
        FleetReport? report;
        Dictionary<string, string[]>? errors;
        using (body)
        {
            try
            {
                report = FleetReport.Parse(body.Span, kind == EventKind.UploadStat, out errors);
            }
            catch (Exception e) when (JsonText.Unreadable(e, body.Span) is { } unreadable)
            {
                return WithMsg(unreadable);
            }
        }
        if (report is not { } r) return WithMsg(Problems.Validation(errors!));

        await writer.WriteAsync([new EventDraft
        {
            ProjectId = projectId,
            ExternalId = deviceId,
            DeviceId = id,
            Kind = kind,
            TsMicros = r.SentAtMicros,
            Fields = kind == EventKind.UploadStat ? [new Field(FleetState.UploadTimeField, FieldValue.Of(r.UploadNanoseconds))] : [],
        }], http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Uptime per UTC day over the last <c>days</c> (1–366, default 30): distinct heartbeat minutes of the day ÷ the
    /// day's minutes (so far, for today) × 100 — from the same in-memory minute bitmap as the stats.
    /// </summary>
    private static IResult GetDailyUptime(string device_id, string? days, HttpContext http, DeviceRegistry devices, FleetState fleet, Tenancy tenancy)
    {
        if (!devices.TryGetId(tenancy.ProjectOf(http.GetCaller()), device_id, out var id)) return NotFound();
        var count = 30;
        if (days is not null && (!int.TryParse(days, out count) || count is < 1 or > 366)) return WithMsg(Problems.Validation("days", "must be a whole number from 1 to 366"));
        var nowMinute = FleetState.MinuteOf(Clock.NowMicros());
        var firstDay = nowMinute - nowMinute % 1440 - (count - 1) * 1440L;
        var minutes = fleet.MinutesPerDay(id, firstDay, count) ?? new long[count];
        var result = new DailyUptime[count];
        for (var i = 0; i < count; i++)
        {
            var dayStart = firstDay + i * 1440L;
            var span = Math.Min(1440, nowMinute - dayStart + 1);
            result[i] = new DailyUptime(DateTime.UnixEpoch.AddMinutes(dayStart).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                minutes[i], Math.Round(minutes[i] * 100.0 / span, 3));
        }
        return TypedResults.Ok(new DailyUptimeResponse(device_id, result));
    }

    private static IResult GetStats(string device_id, HttpContext http, DeviceRegistry devices, FleetState fleet, Tenancy tenancy)
    {
        if (!devices.TryGetId(tenancy.ProjectOf(http.GetCaller()), device_id, out var id)) return NotFound();
        if (fleet.Get(id) is not { } stats) return TypedResults.NoContent();
        return TypedResults.Ok(new FleetStatsResponse(stats.Uptime, GoDuration.Format(stats.AverageUploadNanoseconds)));
    }

    /// <summary>
    /// No key: allowed for the default project's devices when anonymous fleet access is on (the original
    /// sent none). A key: must be valid, and scopes the request to its project.
    /// </summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var presented = http.Request.Headers[ApiKeyEndpoints.HeaderName].ToString();
        Caller? caller;
        if (presented.Length == 0)
        {
            if (!http.RequestServices.GetRequiredService<IOptions<FleetOptions>>().Value.AnonymousAccess)
                return Fail(StatusCodes.Status401Unauthorized, "Missing API key");
            caller = new Caller(http.RequestServices.GetRequiredService<Tenancy>().DefaultProjectId, KeyRole.Admin, "anonymous");
        }
        else
        {
            (caller, _) = await http.RequestServices.GetRequiredService<ApiKeyAuthenticator>().AuthenticateAsync(presented, http.RequestAborted);
            if (caller is null) return Fail(StatusCodes.Status401Unauthorized, "Invalid API key");
        }
        http.Items[typeof(Caller)] = caller;
        return await next(context);
    }

    private static ProblemResult NotFound() => Fail(StatusCodes.Status404NotFound, "device not found");

    private static ProblemResult Fail(int status, string message) => new(status, message, extensions: [new("msg", message)]);

    /// <summary>The fleet API's clients read "msg": every error carries it beside the problem's detail.</summary>
    private static ProblemResult WithMsg(ProblemResult problem) => new(problem.StatusCode, problem.Detail, problem.Errors, [new("msg", problem.Detail)]);

    public sealed record RootResponse(string Name, string Version, string Health);

    public sealed record DebugDevice(string DeviceId);
}
