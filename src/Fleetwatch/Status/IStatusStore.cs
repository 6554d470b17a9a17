using Fleetwatch.Model;

namespace Fleetwatch.Status;

/// <param name="FromMicros">Inclusive lower bound on the device timestamp.</param>
/// <param name="ToMicros">Inclusive upper bound on the device timestamp.</param>
/// <param name="Total">How many match, when the caller knows (<see cref="StatusCounts"/>): the store then counts nothing.</param>
public sealed record StatusHistoryQuery(long FromMicros, long ToMicros, int Offset, int Limit, long? Total = null)
{
    public bool Unbounded => FromMicros == long.MinValue && ToMicros == long.MaxValue;
}

public sealed record StatusPage(long Total, IReadOnlyList<StoredEvent> Events);

public interface IStatusStore
{
    /// <summary>The latest status of every device (greatest timestamp, ties to the later write), read from the events.</summary>
    Task<IReadOnlyList<StoredEvent>> LoadLatestStatusesAsync(MetricDictionary metrics, CancellationToken ct);

    /// <summary>Statuses newest first (device time, then write order), with the total that match (counted unless the query says).</summary>
    Task<StatusPage> GetStatusHistoryAsync(long deviceId, StatusHistoryQuery query, MetricDictionary metrics, CancellationToken ct);

    /// <summary>How many statuses the device has, and the greatest event id counted.</summary>
    Task<(long Count, long MaxId)> CountStatusesAsync(long deviceId, CancellationToken ct);
}
