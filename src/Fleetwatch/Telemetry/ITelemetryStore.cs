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

    /// <summary>Which of these (device, kind, time) already have an event: what an import has stored before (an index seek each).</summary>
    Task<HashSet<EventKey>> FindStoredAsync(IReadOnlyCollection<EventKey> keys, CancellationToken ct);
}

/// <summary>What identifies a reading for an import: the same device, kind and timestamp is the same reading.</summary>
public readonly record struct EventKey(long DeviceId, EventKind Kind, long TsMicros);

/// <summary>One stored reading: its time, id and encoded payload (see <see cref="PayloadCodec"/>), valid during the call only.</summary>
public delegate void ReadingVisitor(long tsMicros, long id, ReadOnlySpan<byte> payload);
