using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Platform;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Transfer;

/// <summary>
/// History out of the server: <c>GET /projects/{project_id}/export</c> (every device of the project, by device id, then
/// time) and <c>GET /projects/{project_id}/devices/{device_id}/export</c>, streamed page by page in constant memory.
/// </summary>
public static class ExportApi
{
    /// <summary>Events read per query: large enough that the round trips do not show, small enough to stay in cache.</summary>
    private const int PageSize = 5000;

    public sealed class ExportQuery
    {
        public string? From { get; set; }
        public string? To { get; set; }
        public string? Kinds { get; set; }
        public string? Format { get; set; }
    }

    public static void MapExport(this IEndpointRouteBuilder routes)
    {
        const string Description = "Streamed in constant memory. `format` ndjson (default: one event per line, `{device_id, ts, kind, payload}`), " +
            "csv (`device_id,ts,kind,metric,value`: one row per value, the value as JSON text) or parquet (columns device_id, ts, kind, " +
            "metric, value, text); `from` and `to` (ISO 8601, inclusive) bound the time; `kinds` is a comma-separated list of status, " +
            "heartbeat, upload_stat, measurement and connectivity (default: everything the devices sent). Rows are ordered by device id, " +
            "then time, then the order they were stored in.";
        routes.MapPlatformGroup("/projects/{project_id:long}/export", ApiTags.Fleetwatch)
            .MapGet("", (long project_id, [AsParameters] ExportQuery query, HttpContext http, DeviceRegistry devices, ITelemetryStore store, MetricDictionary metrics) =>
                ExportAsync(http, query, $"project-{project_id}", devices.InProject(project_id).ToArray(), store, metrics))
            .RequireAccess(Access.Read).WithSummary("Export a project's history").WithDescription(Description);
        routes.MapPlatformGroup("/projects/{project_id:long}/devices/{device_id:long}/export", ApiTags.Fleetwatch)
            .MapGet("", ([AsParameters] ExportQuery query, HttpContext http, ITelemetryStore store, MetricDictionary metrics) =>
            {
                var device = http.GetScope().Get<DeviceRecord>();
                return ExportAsync(http, query, $"device-{device.ExternalId}", [device], store, metrics);
            })
            .RequireAccess(Access.Read).WithSummary("Export a device's history").WithDescription(Description);
    }

    private static async Task<IResult> ExportAsync(HttpContext http, ExportQuery query, string name, DeviceRecord[] devices, ITelemetryStore store, MetricDictionary metrics)
    {
        Dictionary<string, string[]>? errors = null;
        if (!ExportFormats.TryParse(query.Format, out var format)) ValidationErrors.Add(ref errors, "format", $"must be {ExportFormats.Accepted}");
        var from = ParseTime(query.From, "from", long.MinValue, ref errors);
        var to = ParseTime(query.To, "to", long.MaxValue, ref errors);
        if (errors is null && from > to) ValidationErrors.Add(ref errors, "to", "must not be before from");
        var kinds = ParseKinds(query.Kinds, ref errors);
        if (errors is not null) return Problems.Validation(errors);

        var response = http.Response;
        response.ContentType = format.ContentType();
        response.Headers.ContentDisposition = $"attachment; filename=\"{SafeFileName(name)}.{format.Extension()}\"";
        var ct = http.RequestAborted;
        await using var writer = ExportWriter.For(format, response.Body);
        foreach (var device in devices)
        {
            var page = EventQuery.Page(device.Id, kinds!, from, to, ascending: true, PageSize);
            while (true)
            {
                var events = await store.ReadEventsAsync(page, metrics, ct);
                foreach (var e in events) await writer.WriteAsync(device.ExternalId, e, ct);
                if (events.Count < PageSize) break;
                page = page.After(events[^1]);
            }
        }
        await writer.CompleteAsync(ct);
        return Results.Empty;
    }

    private static long ParseTime(string? text, string field, long missing, ref Dictionary<string, string[]>? errors)
    {
        if (string.IsNullOrEmpty(text)) return missing;
        if (Timestamps.TryParse(text, out var micros)) return micros;
        ValidationErrors.Add(ref errors, field, $"must be {Timestamps.FormatHint}");
        return missing;
    }

    internal static EventKind[]? ParseKinds(string? text, ref Dictionary<string, string[]>? errors)
    {
        if (string.IsNullOrEmpty(text)) return EventQuery.FromDevices;
        var kinds = new List<EventKind>();
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (EventJson.KindOf(name) is { } kind) { if (!kinds.Contains(kind)) kinds.Add(kind); }
            else ValidationErrors.Add(ref errors, "kinds", $"'{name}' is not one of status, heartbeat, upload_stat, measurement, connectivity");
        }
        if (kinds.Count == 0) ValidationErrors.Add(ref errors, "kinds", "must name at least one kind");
        return [.. kinds];
    }

    private static string SafeFileName(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
