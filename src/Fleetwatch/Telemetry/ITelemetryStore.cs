using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

public interface ITelemetryStore
{
    /// <summary>One page of a device's events, in the query's order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(EventQuery query, MetricDictionary metrics, CancellationToken ct);

    /// <summary>How many events of these kinds the device has (an index-only count).</summary>
    Task<long> CountEventsAsync(long deviceId, EventKind[] kinds, CancellationToken ct);
}
