using Fleetwatch.Telemetry;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : ITelemetryStore
{
    private static readonly string RecentEvents = RecentEventsSql.For(name => name switch { "device" => "$1", "from" => "$2", _ => "$3" });

    public async Task<IReadOnlyList<StoredEvent>> RecentEventsAsync(long deviceId, long fromMicros, int limit, MetricDictionary metrics, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(RecentEvents);
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = fromMicros });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)limit });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(long Id, long Ts, long Received, short Kind, byte[] Payload)>();
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt16(3), (byte[])reader[4]));
        await reader.DisposeAsync();
        await KnowMetricsOfAsync(rows.Select(r => r.Payload), metrics, ct);
        return [.. rows.Select(r => new StoredEvent(r.Id, deviceId, (EventKind)r.Kind, r.Ts, r.Received, Decode(r.Payload, metrics)))];
    }
}
