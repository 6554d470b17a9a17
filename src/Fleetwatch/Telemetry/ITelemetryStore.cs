using Fleetwatch.Model;

namespace Fleetwatch.Telemetry;

public interface ITelemetryStore
{
    /// <summary>One page of a device's events, in the query's order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(EventQuery query, MetricDictionary metrics, CancellationToken ct);

    /// <summary>
    /// Every reading (event with values) of the device in [<paramref name="fromMicros"/>, <paramref name="toMicros"/>],
    /// in no particular order, handed over as its stored payload — for aggregates over many rows, which need
    /// numbers, not event objects.
    /// </summary>
    Task ScanReadingsAsync(long deviceId, long fromMicros, long toMicros, ReadingVisitor visit, CancellationToken ct);

    /// <summary>How many events of these kinds the device has (an index-only count).</summary>
    Task<long> CountEventsAsync(long deviceId, EventKind[] kinds, CancellationToken ct);
}

/// <summary>One stored reading: its time, id and encoded payload (see <see cref="PayloadCodec"/>), valid during the call only.</summary>
public delegate void ReadingVisitor(long tsMicros, long id, ReadOnlySpan<byte> payload);
