using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

/// <summary>The readings of one range or one bucket: how many, the first and last, and each numeric metric's stats.</summary>
public sealed class AggregateCell
{
    public long Readings { get; private set; }
    public long? FirstTs { get; private set; }
    public long? LastTs { get; private set; }
    public Dictionary<string, MetricStats> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Folds in one raw reading straight from its stored payload, with no event object or decoded fields. A metric
    /// this node has no name for yet is kept under <c>metric#id</c> until <see cref="NameMetrics"/>. With
    /// <paramref name="onlyMetric"/>, a reading counts only if it has that metric as a number.
    /// </summary>
    public void Add(long ts, long id, ReadOnlySpan<byte> payload, int? onlyMetric, MetricDictionary names)
    {
        var state = (Cell: this, Ts: ts, Id: id, Only: onlyMetric, Names: names, Counted: false);
        PayloadCodec.ForEachNumber(payload, ref state, static (ref (AggregateCell Cell, long Ts, long Id, int? Only, MetricDictionary Names, bool Counted) s, int metric, double value) =>
        {
            if (s.Only is { } only && metric != only) return;
            var name = NameOf(metric, s.Names);
            if (!s.Cell.Metrics.TryGetValue(name, out var stats)) s.Cell.Metrics[name] = stats = new MetricStats();
            stats.Add(value, s.Ts, s.Id);
            s.Counted = true;
        });
        if (!state.Counted && onlyMetric is not null) return;
        Count(1, ts, ts);
    }

    private const string UnnamedPrefix = "metric#";

    /// <summary>A metric's name, or <c>metric#id</c> while this node does not know it yet.</summary>
    public static string NameOf(int metricId, MetricDictionary names) =>
        names.TryGetName(metricId, out var name) ? name : UnnamedPrefix + metricId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public bool HasUnnamedMetrics => Metrics.Keys.Any(k => k.StartsWith(UnnamedPrefix, StringComparison.Ordinal));

    /// <summary>Gives the metrics kept as <c>metric#id</c> their names, once the dictionary knows them.</summary>
    public void NameMetrics(MetricDictionary names)
    {
        foreach (var key in Metrics.Keys.Where(k => k.StartsWith(UnnamedPrefix, StringComparison.Ordinal)).ToList())
        {
            if (!int.TryParse(key.AsSpan(UnnamedPrefix.Length), System.Globalization.CultureInfo.InvariantCulture, out var id) || !names.TryGetName(id, out var name)) continue;
            Metrics.Remove(key, out var stats);
            Metrics[name] = stats!;
        }
    }

    /// <summary>Folds in a rolled-up hour: its readings (or, filtered, the metric's count) and their first and last times.</summary>
    public void Add(RollupHour? hour, IEnumerable<(string Name, RollupMetric Stats)> metrics, bool filtered)
    {
        foreach (var (name, m) in metrics)
        {
            if (!Metrics.TryGetValue(name, out var stats)) Metrics[name] = stats = new MetricStats();
            stats.Merge(m.Count, m.Sum, m.Min, m.Max, m.FirstTs, m.LastValue, m.LastTs, m.LastId);
            if (filtered) Count(m.Count, m.FirstTs, m.LastTs);
        }
        if (!filtered && hour is { Readings: > 0, FirstTs: { } first, LastTs: { } last }) Count(hour.Readings, first, last);
    }

    private void Count(long readings, long first, long last)
    {
        Readings += readings;
        if (FirstTs is null || first < FirstTs) FirstTs = first;
        if (LastTs is null || last > LastTs) LastTs = last;
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
/// Aggregates a device's readings over a range, optionally per UTC-aligned bucket. Totals and hourly and wider
/// buckets come from hourly rollups for the sealed whole hours of the range (built in the background, or here when
/// missing, see <see cref="HourlyRollup"/>) and from raw rows for the partial hours at its edges and the
/// hours not yet sealed; anything else is read raw, in pages in time order, each an index range scan.
/// </summary>
public sealed class ReadingAggregator(ITelemetryStore store, IRollupStore rollups, MetricDictionary metrics, IDatabase database)
{
    // Materialised a month at a time, so one first query never holds one huge transaction.
    private const long MaterializeSpan = 31 * 24 * HourlyRollup.HourMicros;

    public async Task<AggregateResult> AggregateAsync(long deviceId, TimeRange range, long? bucket, string? metric, bool forceRaw, CancellationToken ct)
    {
        // A total (no bucket) comes from the rollups too: over a range whose raw events expired, they are all that is left.
        if (forceRaw || bucket is { } odd && odd % HourlyRollup.HourMicros != 0) return await RawAsync(deviceId, range, bucket, metric, new AggregateResult("raw"), ct);

        // Whole hours inside [from, to], and of those the ones sealed now.
        var firstHour = -AggregateResult.BucketStart(-range.FromMicros, HourlyRollup.HourMicros);
        var endHour = Math.Min(AggregateResult.BucketStart(range.ToMicros + 1, HourlyRollup.HourMicros), HourlyRollup.SealedBefore(Clock.NowMicros()));
        if (endHour - firstHour < HourlyRollup.HourMicros) return await RawAsync(deviceId, range, bucket, metric, new AggregateResult("raw"), ct);
        var lastHour = endHour - HourlyRollup.HourMicros;

        var done = await rollups.RolledUpHoursAsync(deviceId, firstHour, lastHour, ct);
        for (var start = firstHour; start <= lastHour;)
        {
            if (done.Contains(start))
            {
                start += HourlyRollup.HourMicros;
                continue;
            }
            var stop = start;
            while (stop + HourlyRollup.HourMicros <= lastHour && !done.Contains(stop + HourlyRollup.HourMicros) && stop + HourlyRollup.HourMicros - start < MaterializeSpan)
                stop += HourlyRollup.HourMicros;
            // A late write raced the roll-up and nothing was stored: the raw rows answer this time.
            if ((await rollups.MaterializeAsync([new RollupSpan(deviceId, start, stop)], ct)).Count > 0)
                return await RawAsync(deviceId, range, bucket, metric, new AggregateResult("raw"), ct);
            start = stop + HourlyRollup.HourMicros;
        }

        var result = new AggregateResult("rollup");
        var metricId = await MetricIdAsync(metric, ct);
        var (hours, rows) = await rollups.ReadRollupsAsync(deviceId, firstHour, lastHour, metricId, ct);
        if (rows.Any(r => !metrics.TryGetName(r.MetricId, out _))) await database.LoadMetricsAsync(metrics, ct);
        var byHour = rows.ToLookup(r => r.Hour);
        foreach (var hour in hours)
        {
            var named = byHour[hour.Hour].Select(r => (AggregateCell.NameOf(r.MetricId, metrics), r)).ToList();
            result.Total.Add(hour, named, metric is not null);
            if (bucket is not { } width) continue;
            var start = AggregateResult.BucketStart(hour.Hour, width);
            if (!result.ByBucket.TryGetValue(start, out var cell)) result.ByBucket[start] = cell = new AggregateCell();
            cell.Add(hour, named, metric is not null);
        }
        // The edges: before the first whole hour, and after the last sealed one.
        if (range.FromMicros < firstHour) await RawAsync(deviceId, new TimeRange(range.FromMicros, firstHour - 1), bucket, metric, result, ct);
        if (endHour <= range.ToMicros) await RawAsync(deviceId, new TimeRange(endHour, range.ToMicros), bucket, metric, result, ct);
        RemoveEmpty(result);
        return result;
    }

    private async Task<AggregateResult> RawAsync(long deviceId, TimeRange range, long? bucket, string? metric, AggregateResult result, CancellationToken ct)
    {
        var metricId = await MetricIdAsync(metric, ct);
        await store.ScanReadingsAsync(deviceId, range.FromMicros, range.ToMicros, (ts, id, payload) =>
        {
            result.Total.Add(ts, id, payload, metricId, metrics);
            if (bucket is not { } width) return;
            var start = AggregateResult.BucketStart(ts, width);
            if (!result.ByBucket.TryGetValue(start, out var cell)) result.ByBucket[start] = cell = new AggregateCell();
            cell.Add(ts, id, payload, metricId, metrics);
        }, ct);
        if (result.Total.HasUnnamedMetrics)
        {
            // Another node named a metric since this one last looked.
            await database.LoadMetricsAsync(metrics, ct);
            result.Total.NameMetrics(metrics);
            foreach (var cell in result.ByBucket.Values) cell.NameMetrics(metrics);
        }
        RemoveEmpty(result);
        return result;
    }

    /// <summary>The id of the metric asked for (-1 when no node ever wrote it), or null for all metrics.</summary>
    private async Task<int?> MetricIdAsync(string? metric, CancellationToken ct)
    {
        if (metric is null) return null;
        if (!metrics.TryGetId(metric, out _)) await database.LoadMetricsAsync(metrics, ct); // another node may have named it
        return metrics.TryGetId(metric, out var id) ? id : -1;
    }

    /// <summary>A bucket with no reading (or none with the metric asked for) holds nothing to show.</summary>
    private static void RemoveEmpty(AggregateResult result)
    {
        foreach (var empty in result.ByBucket.Where(b => b.Value.Readings == 0).Select(b => b.Key).ToList()) result.ByBucket.Remove(empty);
    }
}
