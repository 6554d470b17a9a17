using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

/// <summary>The readings of one range or one bucket: how many, the first and last, and each numeric metric's stats.</summary>
public sealed class AggregateCell
{
    public long Readings { get; private set; }
    public long? FirstTs { get; private set; }
    public long? LastTs { get; private set; }
    public Dictionary<string, MetricStats> Metrics { get; } = new(StringComparer.Ordinal);

    public void Add(StoredEvent e, string? metric)
    {
        var counted = false;
        foreach (var field in e.Fields)
        {
            if (metric is not null && field.Name != metric) continue;
            double value;
            if (field.Value.Tag == ValueTag.Int) value = field.Value.Int;
            else if (field.Value.Tag == ValueTag.Double) value = field.Value.Double;
            else continue;
            if (!Metrics.TryGetValue(field.Name, out var stats)) Metrics[field.Name] = stats = new MetricStats();
            stats.Add(value, e.TsMicros, e.Id);
            counted = true;
        }
        if (!counted && metric is not null) return;
        Readings++;
        if (FirstTs is null || e.TsMicros < FirstTs) FirstTs = e.TsMicros;
        if (LastTs is null || e.TsMicros > LastTs) LastTs = e.TsMicros;
    }
}

public sealed class AggregateResult(string source)
{
    public string Source { get; } = source;
    public AggregateCell Total { get; } = new();
    public SortedDictionary<long, AggregateCell> ByBucket { get; } = [];

    public static long BucketStart(long micros, long width) => micros >= 0 ? micros - micros % width : micros - ((micros % width) + width) % width;

    /// <summary>The buckets in time order; with <paramref name="includeEmpty"/>, every bucket of the range (empty ones with a null cell).</summary>
    public IEnumerable<(long Start, AggregateCell? Cell)> Buckets(TimeRange range, long width, bool includeEmpty)
    {
        if (!includeEmpty)
        {
            foreach (var (start, cell) in ByBucket) yield return (start, cell);
            yield break;
        }
        for (var start = BucketStart(range.FromMicros, width); start <= range.ToMicros; start += width)
            yield return (start, ByBucket.GetValueOrDefault(start));
    }
}

/// <summary>
/// Aggregates a device's readings over a range, optionally per UTC-aligned bucket, by reading the range in
/// pages in time order (each page an index range scan) and folding each reading into its cells.
/// </summary>
public sealed class ReadingAggregator(ITelemetryStore store, MetricDictionary metrics)
{
    private const int Page = 10_000;

    public async Task<AggregateResult> AggregateAsync(long deviceId, TimeRange range, long? bucket, string? metric, CancellationToken ct)
    {
        var result = new AggregateResult("raw");
        var query = EventQuery.Page(deviceId, EventQuery.Readings, range.FromMicros, range.ToMicros, ascending: true, Page);
        while (true)
        {
            var rows = await store.ReadEventsAsync(query, metrics, ct);
            foreach (var e in rows)
            {
                result.Total.Add(e, metric);
                if (bucket is { } width)
                {
                    var start = AggregateResult.BucketStart(e.TsMicros, width);
                    if (!result.ByBucket.TryGetValue(start, out var cell)) result.ByBucket[start] = cell = new AggregateCell();
                    cell.Add(e, metric);
                }
            }
            if (rows.Count < Page) break;
            query = query.After(rows[^1]);
        }
        // A bucket whose readings lacked the metric asked for holds nothing to show.
        foreach (var empty in result.ByBucket.Where(b => b.Value.Readings == 0).Select(b => b.Key).ToList()) result.ByBucket.Remove(empty);
        return result;
    }
}
