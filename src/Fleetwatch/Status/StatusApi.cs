using Fleetwatch.Metrics;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Ingest;
using Fleetwatch.Storage;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Status;

/// <summary>The device-status API of the Ubiety services (CONTRACTS.md §1): a view over the one event store.</summary>
public static class StatusApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static RouteGroupBuilder MapStatus(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/status").RequireApiKey(AuthStyle.DeviceStatus);
        group.MapPost("", PostStatus).RequireWriteRole().CountsAsIngest()
            .Accepts<StatusBody>("application/json").Produces<StatusRecordResponse>(StatusCodes.Status201Created);
        // Literal segments win over {device_id} in routing, so these are never shadowed by a device id.
        group.MapGet("/summary", GetSummary).RequireReadRole().Produces<SummaryResponse>();
        group.MapGet("/at-risk", GetAtRisk).RequireReadRole().Produces<AtRiskResponse>();
        group.MapGet("/{device_id}", GetLatest).RequireReadRole().Produces<StatusRecordResponse>();
        group.MapGet("/{device_id}/history", GetHistory).RequireReadRole().Produces<HistoryResponse>();
        return group;
    }

    private static async Task<IResult> PostStatus(HttpContext http, IngestWriter writer, DeviceRegistry devices, Tenancy tenancy)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, MaxBodyBytes);
        if (problem is not null) return problem;
        StatusRequest? parsed;
        Dictionary<string, string[]>? errors;
        using (body)
        {
            try
            {
                parsed = StatusRequest.Parse(body.Span, out errors);
            }
            catch (Exception e) when (JsonText.Unreadable(e, body.Span) is { } unreadable)
            {
                return unreadable;
            }
        }
        if (parsed is not { } status) return Problems.Validation(errors!);

        var projectId = tenancy.ProjectOf(http.GetCaller());
        devices.TryGetId(projectId, status.DeviceId, out var deviceId);
        if (!http.GetCaller().MayWriteTo(deviceId)) return Problems.Of(StatusCodes.Status403Forbidden, Caller.OtherDeviceDetail);
        var draft = new EventDraft
        {
            ProjectId = projectId,
            ExternalId = status.DeviceId,
            DeviceId = deviceId,
            Kind = EventKind.Status,
            TsMicros = status.TsMicros,
            Fields =
            [
                new Field(StatusFields.BatteryLevel, FieldValue.Of(status.BatteryLevel)),
                new Field(StatusFields.Rssi, FieldValue.Of(status.Rssi)),
                new Field(StatusFields.Online, FieldValue.Of(status.Online)),
            ],
        };
        var stored = (await writer.WriteAsync([draft], http.RequestAborted))[0];
        return TypedResults.Created($"/status/{Uri.EscapeDataString(status.DeviceId)}", StatusRecordResponse.From(status.DeviceId, stored));
    }

    private static IResult GetLatest(string device_id, HttpContext http, DeviceRegistry devices, LatestStatusCache latest, Tenancy tenancy)
    {
        var projectId = tenancy.ProjectOf(http.GetCaller());
        if (!devices.TryGetId(projectId, device_id, out var deviceId) || latest.Get(projectId, deviceId) is not { } status)
            return Problems.NotFound($"Device {device_id} not found");
        return TypedResults.Ok(StatusRecordResponse.From(status));
    }

    private static IResult GetSummary(HttpContext http, LatestStatusCache latest, Tenancy tenancy, IOptions<StatusOptions> options, TimeProvider time)
    {
        var statuses = latest.Snapshot(tenancy.ProjectOf(http.GetCaller()));
        var devices = new SummaryDevice[statuses.Count];
        var now = Clock.ToMicros(time.GetUtcNow().UtcDateTime);
        int online = 0, atRisk = 0;
        for (var i = 0; i < devices.Length; i++)
        {
            devices[i] = statuses[i].AsSummary;
            if (statuses[i].Online) online++;
            if (options.Value.IsAtRisk(statuses[i], now)) atRisk++;
        }
        return TypedResults.Ok(new SummaryResponse(devices.Length, online, devices.Length - online, atRisk, devices));
    }

    private static IResult GetAtRisk(HttpContext http, LatestStatusCache latest, Tenancy tenancy, IOptions<StatusOptions> options, TimeProvider time)
    {
        var statuses = latest.Snapshot(tenancy.ProjectOf(http.GetCaller()));
        var now = Clock.ToMicros(time.GetUtcNow().UtcDateTime);
        var atRisk = new List<AtRiskDevice>();
        foreach (var s in statuses)
        {
            if (options.Value.AtRiskReasons(s, now) is not { } reasons) continue;
            var summary = s.AsSummary;
            atRisk.Add(new AtRiskDevice(summary.DeviceId, summary.Timestamp, s.BatteryLevel, s.Rssi, s.Online, summary.LastUpdate, reasons));
        }
        return TypedResults.Ok(new AtRiskResponse(statuses.Count, atRisk.Count, atRisk));
    }

    private static async Task<IResult> GetHistory(string device_id, HttpContext http, DeviceRegistry devices, IStatusStore store,
        MetricDictionary metrics, Tenancy tenancy)
    {
        var projectId = tenancy.ProjectOf(http.GetCaller());
        if (!devices.TryGetId(projectId, device_id, out var deviceId)) return Problems.NotFound($"Device {device_id} not found");
        if (HistoryQuery.Parse(http.Request.Query, out var errors) is not { } query) return Problems.Validation(errors!);

        var offset = (long)(query.Page - 1) * query.PageSize;
        var page = await store.GetStatusHistoryAsync(deviceId,
            new StatusHistoryQuery(query.FromMicros, query.ToMicros, (int)Math.Min(offset, int.MaxValue), query.ReadSize), metrics, http.RequestAborted);
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
