using Fleetwatch.Telemetry;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : ITelemetryStore
{
    private static readonly string RecentEvents = RecentEventsSql.For(name => "$" + name);

    public Task<IReadOnlyList<StoredEvent>> RecentEventsAsync(long deviceId, long fromMicros, int limit, MetricDictionary metrics, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, RecentEvents, [("$device", deviceId), ("$from", fromMicros), ("$limit", limit)]);
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read())
        {
            events.Add(new StoredEvent(reader.GetInt64(0), deviceId, (EventKind)reader.GetInt32(3), reader.GetInt64(1), reader.GetInt64(2),
                PayloadCodec.Decode((byte[])reader[4], id => MetricName(metrics, id))));
        }
        return Task.FromResult<IReadOnlyList<StoredEvent>>(events);
    }
}
