using Fleetwatch.Auth;
using Fleetwatch.Fleet;
using Fleetwatch.Hosting;
using Fleetwatch.Rules;
using Fleetwatch.Status;
using Fleetwatch.Storage;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Devices;

/// <summary>
/// <c>GET /projects/{project_id}/fleet</c>: an operator's list of a project's devices — every registered device
/// with its latest status, last-seen time, uptime and open alerts — searched, filtered, sorted and paged on the
/// server, with the project-wide counts (the dashboard's fleet page, and any client's). All of it is in memory
/// except the open-alert counts, one grouped query.
/// </summary>
public static class FleetOverviewApi
{
    private const int DefaultLimit = 100, MaxLimit = 1000;
    private static readonly string[] States = ["all", "online", "offline", "at-risk", "no-status"];
    private static readonly string[] Sorts = ["device_id", "state", "battery_level", "rssi", "last_seen", "uptime", "open_alerts"];

    public sealed record FleetQuery(string? Search, string? State, string? Tag, string? Sort, string? Order, string? Limit, string? Offset);

    public sealed record FleetCounts(int Total, int Online, int Offline, int AtRisk, int NoStatus);

    public sealed record FleetDevice(long Id, string DeviceId, string? Name, string[] Tags, bool? Online, int? BatteryLevel, int? Rssi,
        string? LastStatus, string? LastSeen, string[] AtRisk, double? Uptime, long OpenAlerts)
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public long? LastSeenMicros { get; init; }
    }

    public sealed record FleetOverview(FleetCounts Counts, int Matched, int Offset, int Limit, string[] Tags, FleetDevice[] Devices);

    public static void MapFleetOverview(this IEndpointRouteBuilder routes) =>
        routes.MapGroup("/projects/{project_id:long}/fleet").RequireApiKey(AuthStyle.Platform).MapGet("", ListAsync).RequireReadRole().Produces<FleetOverview>();

    private static async Task<IResult> ListAsync(long project_id, [AsParameters] FleetQuery query, HttpContext http, DeviceRegistry devices,
        LatestStatusCache latest, DeviceActivity activity, FleetState fleet, IRuleStore rules, IOptions<StatusOptions> status)
    {
        if (!http.GetCaller().CanSee(project_id)) return Problems.NotFound("project not found");
        Dictionary<string, string[]>? errors = null;
        var state = query.State ?? "all";
        if (!States.Contains(state)) ValidationErrors.Add(ref errors, "state", $"must be one of {string.Join(", ", States)}");
        var sort = query.Sort ?? "device_id";
        if (!Sorts.Contains(sort)) ValidationErrors.Add(ref errors, "sort", $"must be one of {string.Join(", ", Sorts)}");
        if (query.Order is not (null or "asc" or "desc")) ValidationErrors.Add(ref errors, "order", "must be asc or desc");
        var limit = DefaultLimit;
        if (query.Limit is not null && (!int.TryParse(query.Limit, out limit) || limit is < 1 or > MaxLimit))
            ValidationErrors.Add(ref errors, "limit", $"must be a whole number from 1 to {MaxLimit}");
        var offset = 0;
        if (query.Offset is not null && (!int.TryParse(query.Offset, out offset) || offset < 0))
            ValidationErrors.Add(ref errors, "offset", "must be a whole number, 0 or more");
        if (errors is not null) return Problems.Validation(errors);

        var openAlerts = await rules.CountOpenAlertsByDeviceAsync(project_id, http.RequestAborted);
        var now = Clock.NowMicros();
        var all = devices.InProject(project_id).Select(device =>
        {
            var s = latest.Get(project_id, device.Id);
            var seen = activity.LastSeen(device.Id);
            return new FleetDevice(device.Id, device.ExternalId, device.Name, device.Tags, s?.Online, s?.BatteryLevel, s?.Rssi,
                s is null ? null : Timestamps.Format(s.TsMicros), seen is { } micros ? Timestamps.Format(micros) : null,
                s is null ? [] : [.. status.Value.AtRiskReasons(s, now) ?? []],
                fleet.Get(device.Id)?.Uptime, openAlerts.GetValueOrDefault(device.Id)) { LastSeenMicros = seen };
        }).ToList();

        var counts = new FleetCounts(all.Count, all.Count(d => d.Online == true), all.Count(d => d.Online == false),
            all.Count(d => d.AtRisk.Length > 0), all.Count(d => d.Online is null));
        IEnumerable<FleetDevice> matched = all;
        if (!string.IsNullOrEmpty(query.Search))
            matched = matched.Where(d => d.DeviceId.Contains(query.Search, StringComparison.OrdinalIgnoreCase) || (d.Name?.Contains(query.Search, StringComparison.OrdinalIgnoreCase) ?? false));
        matched = state switch
        {
            "online" => matched.Where(d => d.Online == true),
            "offline" => matched.Where(d => d.Online == false),
            "at-risk" => matched.Where(d => d.AtRisk.Length > 0),
            "no-status" => matched.Where(d => d.Online is null),
            _ => matched,
        };
        if (!string.IsNullOrEmpty(query.Tag)) matched = matched.Where(d => d.Tags.Contains(query.Tag, StringComparer.Ordinal));
        var list = Sorted(matched, sort, query.Order == "desc").ToList();
        var tags = all.SelectMany(d => d.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return TypedResults.Ok(new FleetOverview(counts, list.Count, offset, limit, tags, [.. list.Skip(offset).Take(limit)]));
    }

    /// <summary>By the column asked for; devices without a value (no status, no heartbeat) go last either way, ties by device id.</summary>
    private static IEnumerable<FleetDevice> Sorted(IEnumerable<FleetDevice> devices, string sort, bool descending)
    {
        IComparable? Key(FleetDevice d) => sort switch
        {
            "state" => d.Online,
            "battery_level" => d.BatteryLevel,
            "rssi" => d.Rssi,
            "last_seen" => d.LastSeenMicros,
            "uptime" => d.Uptime,
            "open_alerts" => d.OpenAlerts,
            _ => d.DeviceId,
        };
        var withValue = devices.Where(d => Key(d) is not null);
        var ordered = descending ? withValue.OrderByDescending(Key) : withValue.OrderBy(Key);
        return ordered.ThenBy(d => d.DeviceId, StringComparer.Ordinal).Concat(devices.Where(d => Key(d) is null).OrderBy(d => d.DeviceId, StringComparer.Ordinal));
    }
}
