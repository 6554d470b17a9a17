using Fleetwatch.Storage;

namespace Fleetwatch.Telemetry;

public interface ITelemetryStore
{
    /// <summary>
    /// A device's events of every kind with <c>ts ≥ <paramref name="fromMicros"/></c>, newest first (ties: the
    /// later write), at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> RecentEventsAsync(long deviceId, long fromMicros, int limit, MetricDictionary metrics, CancellationToken ct);
}
