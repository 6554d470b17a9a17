using Fleetwatch.Auth;
using Fleetwatch.Connectivity;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Status;

/// <summary>The device-status API of the Ubiety services (CONTRACTS.md §1): a view over the one event store.</summary>
public static class StatusApi
{
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>401 for a missing and for a wrong key, as both original services answered; a device is "Device {id} not found".</summary>
    public static readonly AuthStyle Style = new StatusStyle();

    public static RouteGroupBuilder MapStatus(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/status").WithAuthStyle(Style).WithTags(ApiTags.DeviceStatus);
        group.MapPost("", PostStatus).RequireAccess(Access.Write).CountsAsIngest()
            .WithSummary("Report a device's status")
            .WithDescription("Stores one status (battery, signal, online flag at the device's own timestamp) and answers with the stored record " +
                "once it is committed and synced. A device not seen before is registered in the key's project. A timestamp without an offset is UTC.")
            .Accepts<StatusBody>("application/json").WithRequestExample(StatusBody.Example)
            .Produces<StatusRecordResponse>(StatusCodes.Status201Created);
        // Literal segments win over {device_id} in routing, so these are never shadowed by a device id.
        group.MapGet("/summary", GetSummary).RequireAccess(Access.Read).Produces<SummaryResponse>()
            .WithSummary("Summarise the fleet")
            .WithDescription("Every device's latest status, ordered by device id, with the online, offline and at-risk counts. Answered from memory.");
        group.MapGet("/at-risk", GetAtRisk).RequireAccess(Access.Read).Produces<AtRiskResponse>()
            .WithSummary("List devices at risk")
            .WithDescription("Devices whose latest battery is below 20 % or whose latest status is more than 30 minutes old (both configurable), each with its reasons.");
        group.MapGet("/{device_id}", GetLatest).RequireAccess(Access.Read).Produces<StatusRecordResponse>()
            .WithSummary("Get a device's latest status")
            .WithDescription("The status with the greatest device timestamp (ties go to the later write); 404 when the device has none.");
        group.MapGet("/{device_id}/history", GetHistory).RequireAccess(Access.Read).Produces<HistoryResponse>()
            .WithSummary("Page through a device's statuses")
            .WithDescription("Newest first, by `page`/`page_size` with `start_date`/`end_date`, or by `limit` with `since`. With no paging parameter, " +
                "`statuses` is page 1 of 10 and `history` the newest 50, `has_more` saying whether more exist.");
        return group;
    }

    private sealed class StatusStyle() : AuthStyle(401, "Missing API key", 401, "Invalid API key", 401, "Invalid API key")
    {
        protected override string NotFoundDetail(string resource, string id) => $"Device {id} not found";
    }

    private static async Task<IResult> PostStatus(HttpContext http, IngestWriter writer, DeviceRegistry devices)
    {
        var (parsed, problem) = await JsonBody.ParseAsync(http.Request, MaxBodyBytes, json => (Status: StatusRequest.Parse(json, out var errors), Errors: errors));
        if (problem is not null) return problem;
        if (parsed.Status is not { } status) return Problems.Validation(parsed.Errors!);

        var scope = http.GetScope();
        if (!devices.TryFindWritable(scope, status.DeviceId, out var deviceId)) return Style.Forbidden(Caller.OtherDeviceDetail);
        var draft = status.Draft(scope.ProjectId, deviceId);
        var stored = (await writer.WriteAsync([draft], http.RequestAborted))[0];
        // Written with the source-generated type info directly: the generic Created<T> looks the type up per request
        // and takes the serializer's slow path (~5% of a status POST's CPU in a profile under load).
        http.Response.Headers.Location = $"/status/{Uri.EscapeDataString(status.DeviceId)}";
        return TypedResults.Json(StatusRecordResponse.From(status.DeviceId, stored), FleetwatchJsonContext.Default.StatusRecordResponse,
            statusCode: StatusCodes.Status201Created);
    }

    private static IResult GetLatest(string device_id, HttpContext http, LatestStatusCache latest)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        return latest.Get(device.ProjectId, device.Id) is { } status ? TypedResults.Ok(StatusRecordResponse.From(status)) : Style.NotFound("device", device_id);
    }

    private static IResult GetSummary(HttpContext http, LatestStatusCache latest, ConnectivityTracker connectivity, IOptions<StatusOptions> options, TimeProvider time)
    {
        var statuses = latest.Snapshot(http.GetScope().ProjectId);
        var devices = new SummaryDevice[statuses.Count];
        var now = Clock.ToMicros(time.GetUtcNow().UtcDateTime);
        int online = 0, atRisk = 0, active = 0;
        for (var i = 0; i < devices.Length; i++)
        {
            var (isActive, lastSeen) = connectivity.Brief(statuses[i].DeviceId, now);
            devices[i] = statuses[i].AsSummary with { Connectivity = State(isActive), LastSeenAt = lastSeen };
            if (isActive) active++;
            if (statuses[i].Online) online++;
            if (options.Value.IsAtRisk(statuses[i], now)) atRisk++;
        }
        return TypedResults.Ok(new SummaryResponse(devices.Length, online, devices.Length - online, atRisk, devices, active, devices.Length - active));
    }

    private static string State(bool active) => active ? ConnectivityTracker.ActiveState : ConnectivityTracker.InactiveState;

    private static IResult GetAtRisk(HttpContext http, LatestStatusCache latest, ConnectivityTracker connectivity, IOptions<StatusOptions> options, TimeProvider time)
    {
        var statuses = latest.Snapshot(http.GetScope().ProjectId);
        var now = Clock.ToMicros(time.GetUtcNow().UtcDateTime);
        var atRisk = new List<AtRiskDevice>();
        foreach (var s in statuses)
        {
            if (options.Value.AtRiskReasons(s, now) is not { } reasons) continue;
            var summary = s.AsSummary;
            var (isActive, lastSeen) = connectivity.Brief(s.DeviceId, now);
            atRisk.Add(new AtRiskDevice(summary.DeviceId, summary.Timestamp, s.BatteryLevel, s.Rssi, s.Online, summary.LastUpdate, reasons, State(isActive), lastSeen));
        }
        return TypedResults.Ok(new AtRiskResponse(statuses.Count, atRisk.Count, atRisk));
    }

    private static async Task<IResult> GetHistory(string device_id, HttpContext http, IStatusStore store, StatusCounts counts, MetricDictionary metrics)
    {
        var deviceId = http.GetScope().Get<DeviceRecord>().Id;
        if (HistoryQuery.Parse(http.Request.Query, out var errors) is not { } query) return Problems.Validation(errors!);

        var offset = (long)(query.Page - 1) * query.PageSize;
        var read = new StatusHistoryQuery(query.FromMicros, query.ToMicros, (int)Math.Min(offset, int.MaxValue), query.ReadSize);
        // Without a date range the total is the device's count, kept in memory; a range is counted by the store.
        if (read.Unbounded) read = read with { Total = await counts.GetAsync(deviceId, http.RequestAborted) };
        var page = await store.GetStatusHistoryAsync(deviceId, read, metrics, http.RequestAborted);
        var totalPages = (page.Total + query.PageSize - 1) / query.PageSize;
        // As the original: asking past the last page is a client error, unless there is nothing at all.
        if (page.Total > 0 && query.Page > totalPages)
            return Problems.BadRequest($"Page {query.Page} is beyond the last page ({totalPages})");

        var history = page.Events.Select(e => StatusRecordResponse.From(device_id, e)).ToArray();
        if (!query.Unpaged)
            return TypedResults.Ok(new HistoryResponse(device_id, history, history, page.Total, query.Page, query.PageSize, totalPages, query.Page < totalPages));
        // Unpaged: statuses is variant a's page 1 of 10, history variant b's newest 50, has_more says more than 50 exist.
        var statuses = history.Length > query.PageSize ? history[..query.PageSize] : history;
        return TypedResults.Ok(new HistoryResponse(device_id, statuses, history, page.Total, 1, query.PageSize, totalPages,
            page.Total > history.Length));
    }
}
