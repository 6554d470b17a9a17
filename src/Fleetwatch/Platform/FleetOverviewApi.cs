using Fleetwatch.Auth;
using Fleetwatch.Connectivity;
using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Rules;
using Fleetwatch.Status;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Platform;

/// <summary>
/// <c>GET /projects/{project_id}/fleet</c>: an operator's list of a project's devices — every registered device
/// with its latest status, last-seen time, uptime and open alerts — searched, filtered, sorted and paged on the
/// server, with the project-wide counts (the dashboard's fleet page, and any client's). All of it is in memory
/// except the open-alert counts, one grouped query.
/// </summary>
public static class FleetOverviewApi
{
    private const int DefaultLimit = 100, MaxLimit = 1000;
    private static readonly string[] States = ["all", "online", "offline", "at-risk", "no-status", "active", "inactive"];
    private static readonly string[] Sorts = ["device_id", "state", "connectivity", "battery_level", "rssi", "last_seen", "uptime", "open_alerts"];

    public sealed class FleetQuery
    {
        public string? Search { get; init; }
        public string? State { get; init; }
        public string? Tag { get; init; }
        public string? Sort { get; init; }
        public string? Order { get; init; }
        public string? Limit { get; init; }
        public string? Offset { get; init; }
    }

    /// <param name="Online">Devices whose latest status reported online (the device's own flag).</param>
    /// <param name="Active">Devices the server heard from within their inactivity timeout.</param>
    public sealed record FleetCounts(int Total, int Online, int Offline, int AtRisk, int NoStatus, int Active, int Inactive);

    /// <param name="Online">What the device last reported; null before its first status.</param>
    /// <param name="Connectivity">active or inactive, by the server's receive time.</param>
    /// <param name="ConnectivitySince">When the device became active or inactive (null if never heard from).</param>
    /// <param name="LastSeen">The server's receive time of the device's latest event.</param>
    /// <param name="DeviceTime">The device's own timestamp on its latest event.</param>
    public sealed record FleetDevice(long Id, string DeviceId, string? Name, string[] Tags, bool? Online, int? BatteryLevel, int? Rssi,
        string? LastStatus, string? LastSeen, string[] AtRisk, double? Uptime, long OpenAlerts, string Connectivity, string? ConnectivitySince, string? DeviceTime);

    public sealed record FleetOverview(FleetCounts Counts, int Matched, int Offset, int Limit, string[] Tags, FleetDevice[] Devices);

    public static void MapFleetOverview(this IEndpointRouteBuilder routes) =>
        routes.MapPlatformGroup("/projects/{project_id:long}/fleet", ApiTags.Fleetwatch).MapGet("", ListAsync).RequireAccess(Access.Read).Produces<FleetOverview>()
            .WithSummary("Page through a project's fleet")
            .WithDescription("Every registered device with its latest status, last seen, at-risk reasons, uptime and open alerts, and the project's counts. " +
                "`search`, `state` (all; online, offline as reported; at-risk; no-status; active, inactive as the server sees it), `tag`, `sort`, `order`, `limit` 1–1000 (100) and `offset`, all on the server.");

    private static async Task<IResult> ListAsync(long project_id, [AsParameters] FleetQuery query, HttpContext http, DeviceRegistry devices,
        LatestStatusCache latest, ConnectivityTracker connectivity, FleetState fleet, IRuleStore rules, IOptions<StatusOptions> status)
    {
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
        var options = status.Value;
        // Raw values for every device (counts, filters and sorting need them); text only for the page sent.
        var all = devices.InProject(project_id).Select(d =>
        {
            var status = latest.Get(project_id, d.Id);
            return new Row(d, status, status is not null && options.IsAtRisk(status, now), connectivity.Get(d));
        }).ToList();
        var active = all.Count(r => r.Connectivity.Active);
        var counts = new FleetCounts(all.Count, all.Count(r => r.Status?.Online == true), all.Count(r => r.Status?.Online == false),
            all.Count(r => r.AtRisk), all.Count(r => r.Status is null), active, all.Count - active);
        IEnumerable<Row> matched = all;
        if (!string.IsNullOrEmpty(query.Search))
            matched = matched.Where(r => r.Device.ExternalId.Contains(query.Search, StringComparison.OrdinalIgnoreCase)
                || (r.Device.Name?.Contains(query.Search, StringComparison.OrdinalIgnoreCase) ?? false));
        matched = state switch
        {
            "online" => matched.Where(r => r.Status?.Online == true),
            "offline" => matched.Where(r => r.Status?.Online == false),
            "at-risk" => matched.Where(r => r.AtRisk),
            "no-status" => matched.Where(r => r.Status is null),
            "active" => matched.Where(r => r.Connectivity.Active),
            "inactive" => matched.Where(r => !r.Connectivity.Active),
            _ => matched,
        };
        if (!string.IsNullOrEmpty(query.Tag)) matched = matched.Where(r => r.Device.HasTag(query.Tag));
        var list = sort switch
        {
            "state" => Sorted(matched, r => r.Status?.Online, query.Order == "desc"),
            "battery_level" => Sorted(matched, r => r.Status?.BatteryLevel, query.Order == "desc"),
            "rssi" => Sorted(matched, r => r.Status?.Rssi, query.Order == "desc"),
            "connectivity" => Sorted(matched, r => (bool?)r.Connectivity.Active, query.Order == "desc"),
            "last_seen" => Sorted(matched, r => r.Connectivity.LastSeenMicros, query.Order == "desc"),
            "uptime" => Sorted(matched, r => fleet.Get(r.Device.Id)?.Uptime, query.Order == "desc"),
            "open_alerts" => Sorted(matched, r => (long?)openAlerts.GetValueOrDefault(r.Device.Id), query.Order == "desc"),
            // The registry lists a project's devices by external id already.
            _ => query.Order == "desc" ? matched.Reverse().ToList() : matched.ToList(),
        };
        var tags = all.SelectMany(r => r.Device.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var page = list.Skip(offset).Take(limit).Select(r => new FleetDevice(r.Device.Id, r.Device.ExternalId, r.Device.Name, r.Device.Tags,
            r.Status?.Online, r.Status?.BatteryLevel, r.Status?.Rssi, r.Status is { } s ? Timestamps.Format(s.TsMicros) : null,
            Timestamps.FormatOrNull(r.Connectivity.LastSeenMicros), r.Status is { } latestStatus ? [.. options.AtRiskReasons(latestStatus, now) ?? []] : [],
            fleet.Get(r.Device.Id)?.Uptime, openAlerts.GetValueOrDefault(r.Device.Id), r.Connectivity.State,
            Timestamps.FormatOrNull(r.Connectivity.SinceMicros), Timestamps.FormatOrNull(r.Connectivity.DeviceTimeMicros))).ToArray();
        return TypedResults.Ok(new FleetOverview(counts, list.Count, offset, limit, tags, page));
    }

    private readonly record struct Row(DeviceRecord Device, LatestStatus? Status, bool AtRisk, ConnectivityView Connectivity);

    /// <summary>By the key asked for; devices without a value (no status, no heartbeat) go last either way, ties by device id.</summary>
    private static List<Row> Sorted<TKey>(IEnumerable<Row> rows, Func<Row, TKey?> key, bool descending) where TKey : struct, IComparable<TKey>
    {
        var keyed = rows.Select(r => (Row: r, Key: key(r))).ToList();
        var withValue = keyed.Where(k => k.Key.HasValue);
        var ordered = descending ? withValue.OrderByDescending(k => k.Key!.Value) : withValue.OrderBy(k => k.Key!.Value);
        return [.. ordered.ThenBy(k => k.Row.Device.ExternalId, StringComparer.Ordinal).Concat(keyed.Where(k => !k.Key.HasValue)).Select(k => k.Row)];
    }
}
