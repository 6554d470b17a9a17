using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

/// <summary>
/// Hourly rollups of sealed hours (an hour is sealed once it ended more than <see cref="Grace"/> ago), built in the
/// background as hours seal (<see cref="RollupMaintainer"/>) or by the first query that needs one, and kept.
/// The request path pays nothing for them; only a late write into a sealed hour (a backfill) costs something:
/// it drops that hour's rollup in its own transaction and bumps the device's rollup epoch, so a rollup computed
/// from rows read before the write is never stored (see the stores).
/// </summary>
public static class HourlyRollup
{
    public const long HourMicros = 3_600_000_000;
    public static readonly long Grace = 300_000_000;

    public static long HourOf(long micros) => AggregateResult.BucketStart(micros, HourMicros);

    /// <summary>Hours starting before this had ended <see cref="Grace"/> ago at <paramref name="nowMicros"/>: they are sealed.</summary>
    public static long SealedBefore(long nowMicros) => HourOf(nowMicros - Grace);

    /// <summary>Whether a write at <paramref name="nowMicros"/> of an event at <paramref name="tsMicros"/> lands in a sealed hour.</summary>
    public static bool IsLate(long tsMicros, long nowMicros) => HourOf(tsMicros) < SealedBefore(nowMicros);

    /// <summary>The sealed (device, hour) pairs a batch writes readings into: their rollups must go, in the batch's transaction.</summary>
    public static List<(long Device, long Hour)> LateHours(IEnumerable<StoredEvent> events, long nowMicros)
    {
        List<(long, long)>? late = null;
        foreach (var e in events)
        {
            if (e.Kind.IsReading() && IsLate(e.TsMicros, nowMicros)) (late ??= []).Add((e.DeviceId, HourOf(e.TsMicros)));
        }
        return late is null ? [] : [.. late.Distinct().Order()];
    }

    /// <summary>Folds raw rows (in any order) into per-hour and per-hour-metric rollups; every hour of the span gets a row, empty or not.</summary>
    public sealed class Builder(long fromHour, long toHour)
    {
        private readonly Dictionary<long, (long Readings, long First, long Last)> _hours = [];
        private readonly Dictionary<(long Hour, int Metric), MetricStats> _metrics = [];

        public void Add(long ts, long id, ReadOnlySpan<byte> payload)
        {
            var hour = HourOf(ts);
            var state = (Builder: this, Hour: hour, Ts: ts, Id: id);
            PayloadCodec.ForEachNumber(payload, ref state, static (ref (Builder Builder, long Hour, long Ts, long Id) s, int metric, double value) =>
            {
                if (!s.Builder._metrics.TryGetValue((s.Hour, metric), out var acc)) s.Builder._metrics[(s.Hour, metric)] = acc = new MetricStats();
                acc.Add(value, s.Ts, s.Id);
            });
            // Every reading counts, as on the raw path, whether or not it has numbers.
            var (readings, first, last) = _hours.GetValueOrDefault(hour, (0, long.MaxValue, long.MinValue));
            _hours[hour] = (readings + 1, Math.Min(first, ts), Math.Max(last, ts));
        }

        public IEnumerable<RollupHour> Hours()
        {
            for (var hour = fromHour; hour <= toHour; hour += HourMicros)
            {
                yield return _hours.TryGetValue(hour, out var h) ? new RollupHour(hour, h.Readings, h.First, h.Last) : new RollupHour(hour, 0, null, null);
            }
        }

        public IEnumerable<RollupMetric> Metrics() => _metrics.Select(m => new RollupMetric(m.Key.Hour, m.Key.Metric, m.Value.Count, m.Value.Sum,
            m.Value.Min, m.Value.Max, m.Value.FirstTs, m.Value.LastTs, m.Value.LastId, m.Value.Last));
    }
}
