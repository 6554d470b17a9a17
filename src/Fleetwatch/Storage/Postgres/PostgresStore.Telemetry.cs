using Fleetwatch.Model;
using Fleetwatch.Telemetry;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : ITelemetryStore
{
    private static readonly string[] QueryParameters = ["device", "from", "to", "ts", "id", "limit"];

    public async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(EventQuery query, MetricDictionary metrics, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(EventQuerySql.For(Engine, query.Kinds, query.Ascending,
            name => "$" + (Array.IndexOf(QueryParameters, name) + 1)));
        foreach (var value in new[] { query.DeviceId, query.EffectiveRange.From, query.EffectiveRange.To, query.AfterTs, query.AfterId, query.Limit })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        var rows = new List<(long Id, long Ts, long Received, short Kind, byte[] Payload)>();
        // Closed before the metric lookup: a data-source command's reader hands its connection back to the pool, and closing it twice would close whoever has it next.
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt16(3), (byte[])reader[4]));
        }
        await KnowMetricsOfAsync(rows.Select(r => r.Payload), metrics, ct);
        return [.. rows.Select(r => new StoredEvent(r.Id, query.DeviceId, (EventKind)r.Kind, r.Ts, r.Received, Decode(r.Payload, metrics)))];
    }

    public async Task ScanReadingsAsync(long deviceId, long fromMicros, long toMicros, ReadingVisitor visit, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT ts, id, payload FROM events WHERE device_id = $1 AND kind = ANY($2) AND ts BETWEEN $3 AND $4");
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = ReadingKinds });
        command.Parameters.Add(new NpgsqlParameter { Value = fromMicros });
        command.Parameters.Add(new NpgsqlParameter { Value = toMicros });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) visit(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader[2]);
    }

    public async Task<long> CountEventsAsync(long deviceId, EventKind[] kinds, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT COUNT(*) FROM events WHERE device_id = $1 AND kind = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = kinds.Select(k => (short)k).ToArray() });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<HashSet<EventKey>> FindStoredAsync(IReadOnlyCollection<EventKey> keys, CancellationToken ct)
    {
        var found = new HashSet<EventKey>();
        if (keys.Count == 0) return found;
        await using var command = _dataSource.CreateCommand("""
            SELECT DISTINCT u.d, u.k, u.t FROM unnest($1::bigint[], $2::smallint[], $3::bigint[]) AS u(d, k, t)
            WHERE EXISTS (SELECT 1 FROM events e WHERE e.device_id = u.d AND e.kind = u.k AND e.ts = u.t)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.DeviceId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => (short)k.Kind).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.TsMicros).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(new EventKey(reader.GetInt64(0), (EventKind)reader.GetInt16(1), reader.GetInt64(2)));
        return found;
    }
}
