using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Fleet;

public sealed record FleetStatsResponse(double Uptime, string AvgUploadTime);

public sealed record DailyUptime(string Date, long HeartbeatMinutes, double Uptime);

public sealed record DailyUptimeResponse(string DeviceId, DailyUptime[] Days);

/// <summary>The fleet API's request bodies, for the API document.</summary>
/// <param name="SentAt">ISO 8601, the device's own time; without an offset it is UTC.</param>
public sealed record HeartbeatBody(string SentAt)
{
    public const string Example = """{"sent_at":"2024-06-14T10:00:00Z"}""";
}

/// <param name="SentAt">ISO 8601, the device's own time; without an offset it is UTC.</param>
/// <param name="UploadTime">Nanoseconds, a 64-bit integer.</param>
public sealed record UploadStatBody(string SentAt, long UploadTime)
{
    public const string Example = """{"sent_at":"2024-06-14T10:00:00Z","upload_time":187893379134}""";
}

public sealed record DebugStatsResponse(string DeviceId, long HeartbeatCount, long DistinctMinutes, long StatsCount, long AvgUploadTimeNs, string AvgUploadTime, double Uptime);

/// <summary>
/// The fleet-monitoring API of the SafelyYou device simulator (CONTRACTS.md §2). Heartbeats and upload stats
/// are events of the device like any status; uptime and average come from <see cref="FleetState"/>.
/// </summary>
public static class FleetApi
{
    private const int MaxBodyBytes = 4 * 1024;

    /// <summary>401 for a missing or wrong key; every error carries "msg" beside the problem's detail, as the simulator reads it.</summary>
    public static readonly AuthStyle Style = new FleetStyle();

    public static RouteGroupBuilder MapFleet(this IEndpointRouteBuilder routes)
    {
        // The original sent no key: with anonymous fleet access on, requests without one act on the default project's devices.
        var anonymous = new AnonymousAccess(services => services.GetRequiredService<IOptions<FleetOptions>>().Value.AnonymousAccess
            ? new Caller(services.GetRequiredService<Tenancy>().DefaultProjectId, KeyRole.Admin, "anonymous") : null);
        var group = routes.MapGroup("/api/v1/devices/{device_id}").WithAuthStyle(Style).WithMetadata(anonymous).WithTags(ApiTags.Fleet);
        group.MapPost("/heartbeat", (string device_id, HttpContext http, IngestWriter writer) =>
            ReportAsync(device_id, http, writer, EventKind.Heartbeat)).RequireAccess(Access.Write).CountsAsIngest()
            .WithSummary("Report a heartbeat")
            .WithDescription("One heartbeat of a registered device at `sent_at` (the device's time); 204 once committed. Each distinct UTC minute counts towards uptime.")
            .Accepts<HeartbeatBody>("application/json").WithRequestExample(HeartbeatBody.Example).Produces(StatusCodes.Status204NoContent);
        group.MapPost("/stats", (string device_id, HttpContext http, IngestWriter writer) =>
            ReportAsync(device_id, http, writer, EventKind.UploadStat)).RequireAccess(Access.Write).CountsAsIngest()
            .WithSummary("Report an upload time")
            .WithDescription("How long one upload took, in nanoseconds (a 64-bit integer); 204 once committed.")
            .Accepts<UploadStatBody>("application/json").WithRequestExample(UploadStatBody.Example).Produces(StatusCodes.Status204NoContent);
        group.MapGet("/stats", GetStats).RequireAccess(Access.Read).Produces<FleetStatsResponse>().Produces(StatusCodes.Status204NoContent)
            .WithSummary("Get a device's uptime and average upload time")
            .WithDescription("Uptime = distinct heartbeat minutes ÷ whole minutes from the first to the last × 100; the average upload time as a Go duration " +
                "(`3m7.893379134s`). 204 when the device has reported neither.");
        group.MapGet("/uptime", GetDailyUptime).RequireAccess(Access.Read).Produces<DailyUptimeResponse>().WithTags(ApiTags.Fleetwatch)
            .WithSummary("Get a device's uptime per UTC day")
            .WithDescription("For the last `days` (1–366, default 30): distinct heartbeat minutes of each day ÷ the day's minutes (so far, for today) × 100.");

        routes.MapGet("/", () => TypedResults.Ok(new RootResponse("Fleetwatch", HealthApi.Version, "/health", "/ui/", "/docs"))).WithTags(ApiTags.Fleet)
            .WithSummary("Name and version").WithDescription("What the original fleet service answered at its root: the server's name and version; and where the dashboard and the API docs are.");
        var debug = routes.MapGroup("/debug").WithAuthStyle(Style).RequireAccess(Access.Admin, "The debug endpoints need an admin key").WithTags(ApiTags.Fleet);
        debug.MapGet("/devices", (HttpContext http, DeviceRegistry devices) =>
            TypedResults.Ok(devices.InProject(http.GetScope().ProjectId).Select(d => new DebugDevice(d.ExternalId)).ToArray()))
            .WithSummary("List the project's devices (debug)").WithDescription("Every device id of the key's project, as the original's debug endpoint. Admin key.");
        debug.MapGet("/stats/{device_id}", (string device_id, HttpContext http, FleetState fleet) =>
        {
            var s = fleet.Get(http.GetScope().Get<DeviceRecord>().Id) ?? new FleetStats(0, 0, 0, 0, 0);
            return TypedResults.Ok(new DebugStatsResponse(device_id, s.Heartbeats, s.DistinctMinutes, s.Uploads, s.AverageUploadNanoseconds,
                GoDuration.Format(s.AverageUploadNanoseconds), s.Uptime));
        }).WithSummary("Get a device's raw counts (debug)").WithDescription("Heartbeats, distinct minutes, uploads and the exact average, as the original's debug endpoint. Admin key.");
        return group;
    }

    private sealed class FleetStyle() : AuthStyle(401, "Missing API key", 401, "Invalid API key", 401, "Invalid API key")
    {
        protected override ProblemResult Decorate(ProblemResult problem, bool refusal) => WithMsg(problem);
    }

    private static async Task<IResult> ReportAsync(string deviceId, HttpContext http, IngestWriter writer, EventKind kind)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var (parsed, problem) = await JsonBody.ParseAsync(http.Request, MaxBodyBytes,
            json => (Report: FleetReport.Parse(json, kind == EventKind.UploadStat, out var errors), Errors: errors));
        if (problem is not null) return WithMsg(problem);
        if (parsed.Report is not { } r) return WithMsg(Problems.Validation(parsed.Errors!));

        await writer.WriteAsync([r.Draft(device, kind)], http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Uptime per UTC day over the last <c>days</c> (1–366, default 30): distinct heartbeat minutes of the day ÷ the
    /// day's minutes (so far, for today) × 100 — from the same in-memory minute bitmap as the stats.
    /// </summary>
    private static IResult GetDailyUptime(string device_id, string? days, HttpContext http, FleetState fleet)
    {
        var id = http.GetScope().Get<DeviceRecord>().Id;
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

    private static IResult GetStats(HttpContext http, FleetState fleet)
    {
        if (fleet.Get(http.GetScope().Get<DeviceRecord>().Id) is not { } stats) return TypedResults.NoContent();
        return TypedResults.Ok(new FleetStatsResponse(stats.Uptime, GoDuration.Format(stats.AverageUploadNanoseconds)));
    }

    /// <summary>The fleet API's clients read "msg": every error carries it beside the problem's detail.</summary>
    private static ProblemResult WithMsg(ProblemResult problem) => new(problem.StatusCode, problem.Detail, problem.Errors, [new("msg", problem.Detail)]);

    public sealed record RootResponse(string Name, string Version, string Health, string Dashboard, string Docs);

    public sealed record DebugDevice(string DeviceId);
}
