using Fleetwatch.Model;
using Fleetwatch.Telemetry;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : ITelemetryStore
{
    public Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(EventQuery query, MetricDictionary metrics, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, EventQuerySql.For(Engine, query.Kinds, query.Ascending, name => "$" + name),
            [("$device", query.DeviceId), ("$from", query.EffectiveRange.From), ("$to", query.EffectiveRange.To), ("$ts", query.AfterTs), ("$id", query.AfterId), ("$limit", query.Limit)]);
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read())
        {
            events.Add(new StoredEvent(reader.GetInt64(0), query.DeviceId, (EventKind)reader.GetInt32(3), reader.GetInt64(1), reader.GetInt64(2),
                PayloadCodec.Decode((byte[])reader[4], id => MetricName(metrics, id))));
        }
        return Task.FromResult<IReadOnlyList<StoredEvent>>(events);
    }

    public Task ScanReadingsAsync(long deviceId, long fromMicros, long toMicros, ReadingVisitor visit, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, ReadingRowsSql, [("$d", deviceId), ("$from", fromMicros), ("$to", toMicros)]);
        using var reader = command.ExecuteReader();
        while (reader.Read()) visit(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader[2]);
        return Task.CompletedTask;
    }

    public Task<long> CountEventsAsync(long deviceId, EventKind[] kinds, CancellationToken ct)
    {
        using var connection = Open();
        return Task.FromResult((long)Scalar(connection, null,
            $"SELECT COUNT(*) FROM events WHERE device_id = $d AND kind IN ({string.Join(',', kinds.Select(k => (int)k))})", ("$d", deviceId))!);
    }

    public Task<HashSet<EventKey>> FindStoredAsync(IReadOnlyCollection<EventKey> keys, CancellationToken ct)
    {
        var found = new HashSet<EventKey>();
        if (keys.Count == 0) return Task.FromResult(found);
        using var connection = Open();
        using var command = Command(connection, null, "SELECT 1 FROM events WHERE device_id = $d AND kind = $k AND ts = $t LIMIT 1",
            [("$d", 0L), ("$k", 0), ("$t", 0L)]);
        foreach (var key in keys)
        {
            command.Parameters[0].Value = key.DeviceId;
            command.Parameters[1].Value = (int)key.Kind;
            command.Parameters[2].Value = key.TsMicros;
            if (command.ExecuteScalar() is not null) found.Add(key);
        }
        return Task.FromResult(found);
    }
}
