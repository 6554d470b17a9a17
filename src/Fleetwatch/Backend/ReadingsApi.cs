using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Backend;

/// <summary>
/// The telemetry backend's reads (CONTRACTS.md §4) over every event of a device that carries values —
/// measurements, statuses, upload times: the latest reading, history with keyset pagination, and aggregates
/// over a range or over UTC-aligned buckets.
/// </summary>
public static class ReadingsApi
{
    private const int DefaultLimit = 1000, MaxLimit = 10_000, ScanPage = 5000, MaxBuckets = 100_000;
    // A metric filter that matches rarely must not turn one request into a scan of years: stop and hand back a cursor.
    private const int MaxScannedPerPage = 200_000;

    public static void MapReadings(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapBackendGroup("/api/v1/devices/{device_id}").RequireBackendRead();
        group.MapGet("/latest", LatestAsync).Produces<Enveloped<ReadingResponse?>>()
            .WithSummary("Get a device's latest reading").WithDescription("Null when it has none. Every event that carries numbers is a reading, whichever API stored it.");
        group.MapGet("/history", HistoryAsync).Produces<Enveloped<ReadingResponse[]>>()
            .WithSummary("Page through a device's readings")
            .WithDescription("`data` is the list of readings, oldest first (`order=desc` for newest first). `range=24h` (s/m/h/d) or `start`/`end`; `limit` " +
                "1–10,000 (1,000); `metric=` keeps readings that have it. When more follow, `X-Next-Cursor` holds the next page's `cursor=` and `Link` its URL.");
        group.MapGet("/aggregate", AggregateAsync).Produces<Enveloped<AggregateResponse>>()
            .WithSummary("Aggregate a device's readings")
            .WithDescription("min, max, avg, sum, count, last and unit per metric over `range` or `start`/`end`; `bucket=1m|5m|15m|1h|6h|1d` adds UTC-aligned " +
                "buckets (hourly and wider from hourly rollups), `metric=` one metric, `empty=null` lists empty buckets.");
    }

    public sealed class HistoryParameters
    {
        public string? Range { get; init; }
        public string? Start { get; init; }
        public string? End { get; init; }
        public string? Limit { get; init; }
        public string? Metric { get; init; }
        public string? Order { get; init; }
        public string? Cursor { get; init; }
    }
    /// <param name="Source"><c>raw</c> reads raw rows even where rollups could answer: to check them, or to compare.</param>
    public sealed class AggregateParameters
    {
        public string? Range { get; init; }
        public string? Start { get; init; }
        public string? End { get; init; }
        public string? Metric { get; init; }
        public string? Bucket { get; init; }
        public string? Empty { get; init; }
        public string? Source { get; init; }
    }

    private static async Task<IResult> LatestAsync(HttpContext http, ITelemetryStore store, MetricDictionary metrics)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var latest = await store.ReadEventsAsync(EventQuery.Page(device.Id, EventQuery.Readings, long.MinValue, long.MaxValue, ascending: false, 1), metrics, http.RequestAborted);
        return new Envelope(StatusCodes.Status200OK, json =>
        {
            if (latest.Count == 0) json.WriteNullValue();
            else EventJson.WriteReading(json, latest[0], device.ExternalId);
        });
    }

    private static async Task<IResult> HistoryAsync([AsParameters] HistoryParameters query, HttpContext http, ITelemetryStore store, MetricDictionary metrics)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var (range, problem) = TimeRange.Parse(query.Range, query.Start, query.End, Clock.NowMicros());
        if (problem is not null) return Problems.Coded(problem, BackendDevicesApi.ValidationError);
        var limit = DefaultLimit;
        if (query.Limit is not null && (!int.TryParse(query.Limit, out limit) || limit is < 1 or > MaxLimit))
            return Problems.Coded(Problems.Validation("limit", $"must be a whole number from 1 to {MaxLimit}"), BackendDevicesApi.ValidationError);
        if (query.Order is not (null or "asc" or "desc"))
            return Problems.Coded(Problems.Validation("order", "must be asc (oldest first, the default) or desc"), BackendDevicesApi.ValidationError);
        var ascending = query.Order != "desc";
        var page = EventQuery.Page(device.Id, EventQuery.Readings, range.FromMicros, range.ToMicros, ascending, limit + 1);
        if (query.Cursor is not null)
        {
            if (!TryReadCursor(query.Cursor, out var afterTs, out var afterId))
                return Problems.Coded(Problems.Validation("cursor", "is not a cursor this server gave out"), BackendDevicesApi.ValidationError);
            page = page with { AfterTs = afterTs, AfterId = afterId };
        }

        // Fetch one more than asked: if it comes, there is a next page. A metric filter reads in pages and keeps the matches.
        var readings = new List<StoredEvent>(Math.Min(limit + 1, 1024));
        var scanned = 0;
        var rowsRemain = true;
        while (readings.Count <= limit && scanned < MaxScannedPerPage)
        {
            var want = query.Metric is null ? limit + 1 - readings.Count : ScanPage;
            var rows = await store.ReadEventsAsync(page with { Limit = want }, metrics, http.RequestAborted);
            scanned += rows.Count;
            foreach (var e in rows)
            {
                page = page.After(e);
                if (query.Metric is not null && e.Get(query.Metric) is null) continue;
                readings.Add(e);
                if (readings.Count > limit) break;
            }
            if (rows.Count < want)
            {
                rowsRemain = false;
                break;
            }
        }
        string? next = null;
        if (readings.Count > limit)
        {
            readings.RemoveAt(limit);
            next = Cursor(readings[^1].TsMicros, readings[^1].Id);
        }
        else if (rowsRemain && scanned >= MaxScannedPerPage)
        {
            next = Cursor(page.AfterTs, page.AfterId);
        }
        // data is the plain list of Readings, oldest first, as the original answers (CONTRACTS.md §4); paging goes in headers.
        if (next is not null)
        {
            http.Response.Headers["X-Next-Cursor"] = next;
            http.Response.Headers.Link = $"<{NextPageUrl(http.Request, next)}>; rel=\"next\"";
        }
        return new Envelope(StatusCodes.Status200OK, json =>
        {
            json.WriteStartArray();
            foreach (var e in readings) EventJson.WriteReading(json, e, device.ExternalId);
            json.WriteEndArray();
        });
    }

    /// <summary>This request's path and query with <c>cursor</c> set to the next page's.</summary>
    private static string NextPageUrl(HttpRequest request, string cursor)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString.Value);
        query["cursor"] = cursor;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(request.PathBase + request.Path, query);
    }

    private static async Task<IResult> AggregateAsync([AsParameters] AggregateParameters query, HttpContext http, ReadingAggregator aggregator)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var (range, problem) = TimeRange.Parse(query.Range, query.Start, query.End, Clock.NowMicros());
        if (problem is not null) return Problems.Coded(problem, BackendDevicesApi.ValidationError);
        long? bucket = null;
        if (query.Bucket is not null)
        {
            bucket = TimeRange.BucketMicros(query.Bucket);
            if (bucket is null) return Problems.Coded(Problems.Validation("bucket", "must be 1m, 5m, 15m, 1h, 6h or 1d"), BackendDevicesApi.ValidationError);
            if ((range.ToMicros - range.FromMicros) / bucket > MaxBuckets)
                return Problems.Coded(Problems.Validation("bucket", $"gives more than {MaxBuckets:N0} buckets over this range: choose a wider bucket"), BackendDevicesApi.ValidationError);
        }
        if (query.Empty is not (null or "omit" or "null"))
            return Problems.Coded(Problems.Validation("empty", "must be omit (the default) or null"), BackendDevicesApi.ValidationError);

        if (query.Source is not (null or "auto" or "raw"))
            return Problems.Coded(Problems.Validation("source", "must be auto (the default) or raw"), BackendDevicesApi.ValidationError);
        var result = await aggregator.AggregateAsync(device.Id, range, bucket, query.Metric, forceRaw: query.Source == "raw", http.RequestAborted);
        return new Envelope(StatusCodes.Status200OK, json => WriteAggregate(json, device, range, result, bucket, query.Empty == "null"));
    }

    private static void WriteAggregate(Utf8JsonWriter json, DeviceRecord device, TimeRange range, AggregateResult result, long? bucket, bool emptyAsNull)
    {
        json.WriteStartObject();
        json.WriteString("device_id", device.ExternalId);
        json.WriteStartObject("time_range");
        json.WriteString("start", Timestamps.Format(range.FromMicros));
        json.WriteString("end", Timestamps.Format(range.ToMicros));
        json.WriteEndObject();
        json.WriteNumber("reading_count", result.Total.Readings);
        json.WriteInstantOrNull("first_reading", result.Total.FirstTs);
        json.WriteInstantOrNull("last_reading", result.Total.LastTs);
        foreach (var (name, stats) in result.Total.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            json.WritePropertyName(name);
            WriteStats(json, name, stats);
        }
        if (bucket is { } width)
        {
            json.WriteString("bucket", BucketName(width));
            json.WriteString("source", result.Source);
            json.WriteStartArray("buckets");
            foreach (var (start, cell) in result.Buckets(range, width, emptyAsNull))
            {
                json.WriteStartObject();
                json.WriteString("start", Timestamps.Format(start));
                json.WriteNumber("reading_count", cell?.Readings ?? 0);
                json.WriteStartObject("metrics");
                foreach (var name in result.Total.Metrics.Keys.Order(StringComparer.Ordinal))
                {
                    json.WritePropertyName(name);
                    if (cell is not null && cell.Metrics.TryGetValue(name, out var stats)) WriteStats(json, name, stats);
                    else json.WriteNullValue();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteStats(Utf8JsonWriter json, string name, MetricStats stats)
    {
        json.WriteStartObject();
        json.WriteNumber("min", stats.Min);
        json.WriteNumber("max", stats.Max);
        json.WriteNumber("avg", stats.Average);
        json.WriteNumber("sum", stats.Sum);
        json.WriteNumber("count", stats.Count);
        json.WriteNumber("last", stats.Last);
        json.WriteStringOrNull("unit", MetricStats.UnitOf(name));
        json.WriteEndObject();
    }

    private static string BucketName(long width) => width switch
    {
        60_000_000L => "1m",
        300_000_000L => "5m",
        900_000_000L => "15m",
        3_600_000_000L => "1h",
        21_600_000_000L => "6h",
        _ => "1d",
    };

    /// <summary>An opaque cursor: the next page starts strictly after this (ts, id).</summary>
    private static string Cursor(long ts, long id) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ts}:{id}")));

    private static bool TryReadCursor(string cursor, out long ts, out long id)
    {
        ts = id = 0;
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            return parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out ts) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out id);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
