using System.Data;
using Fleetwatch.Telemetry;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : IRollupStore
{
    private static readonly short[] ReadingKinds = [.. EventQuery.Readings.Select(k => (short)k)];

    public async Task<HashSet<long>> RolledUpHoursAsync(long deviceId, long fromHour, long toHour, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT hour FROM rollup_hours WHERE device_id = $1 AND hour BETWEEN $2 AND $3");
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = fromHour });
        command.Parameters.Add(new NpgsqlParameter { Value = toHour });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var hours = new HashSet<long>();
        while (await reader.ReadAsync(ct)) hours.Add(reader.GetInt64(0));
        return hours;
    }

    public async Task<bool> MaterializeAsync(long deviceId, long fromHour, long toHour, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // The epoch row must exist for FOR UPDATE below to lock something.
        await ExecuteAsync(connection, "INSERT INTO rollup_epochs (device_id, epoch) VALUES ($1, 0) ON CONFLICT DO NOTHING", ct, deviceId);
        var builder = new HourlyRollup.Builder(fromHour, toHour);
        long epoch;
        // One snapshot for the epoch and the rows.
        await using (var read = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
        {
            epoch = (long)(await ScalarAsync(connection, "SELECT epoch FROM rollup_epochs WHERE device_id = $1", ct, deviceId))!;
            await using var command = new NpgsqlCommand("SELECT ts, id, payload FROM events WHERE device_id = $1 AND kind = ANY($2) AND ts BETWEEN $3 AND $4", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
            command.Parameters.Add(new NpgsqlParameter { Value = ReadingKinds });
            command.Parameters.Add(new NpgsqlParameter { Value = fromHour });
            command.Parameters.Add(new NpgsqlParameter { Value = toHour + HourlyRollup.HourMicros - 1 });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) builder.Add(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader[2]);
            await reader.DisposeAsync();
            await read.CommitAsync(ct);
        }

        await using var write = await connection.BeginTransactionAsync(ct);
        // Locks the epoch row: a late write either committed before (its bump shows and we store nothing) or waits
        // for this commit and then deletes what we stored, since the writer bumps the epoch before it deletes.
        if ((long)(await ScalarAsync(connection, "SELECT epoch FROM rollup_epochs WHERE device_id = $1 FOR UPDATE", ct, deviceId))! != epoch) return false;
        var hours = builder.Hours().ToArray();
        await using (var command = new NpgsqlCommand("""
            INSERT INTO rollup_hours (device_id, hour, readings, first_ts, last_ts)
            SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
            ON CONFLICT (device_id, hour) DO UPDATE SET readings = excluded.readings, first_ts = excluded.first_ts, last_ts = excluded.last_ts
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Hour).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Readings).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.FirstTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.LastTs).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }
        var metrics = builder.Metrics().ToArray();
        await using (var command = new NpgsqlCommand("""
            INSERT INTO rollup_hour_metrics (device_id, hour, metric_id, count, sum, min, max, first_ts, last_ts, last_id, last_value)
            SELECT $1, * FROM unnest($2::bigint[], $3::integer[], $4::bigint[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::bigint[], $10::bigint[], $11::float8[])
            ON CONFLICT (device_id, hour, metric_id) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
                first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_id = excluded.last_id, last_value = excluded.last_value
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Hour).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.MetricId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Count).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Sum).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Min).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Max).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.FirstTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.LastTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.LastId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.LastValue).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }
        await write.CommitAsync(ct);
        return true;
    }

    public async Task<(IReadOnlyList<RollupHour> Hours, IReadOnlyList<RollupMetric> Metrics)> ReadRollupsAsync(long deviceId, long fromHour, long toHour, int? metricId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var hours = new List<RollupHour>();
        await using (var command = Command(connection, "SELECT hour, readings, first_ts, last_ts FROM rollup_hours WHERE device_id = $1 AND hour BETWEEN $2 AND $3",
            [deviceId, fromHour, toHour]))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                hours.Add(new RollupHour(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }
        var metrics = new List<RollupMetric>();
        await using (var command = Command(connection, """
            SELECT hour, metric_id, count, sum, min, max, first_ts, last_ts, last_id, last_value FROM rollup_hour_metrics
            WHERE device_id = $1 AND hour BETWEEN $2 AND $3 AND ($4 < 0 OR metric_id = $4)
            """, [deviceId, fromHour, toHour, metricId ?? -1]))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                metrics.Add(new RollupMetric(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4),
                    reader.GetDouble(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDouble(9)));
            }
        }
        return (hours, metrics);
    }

    /// <summary>In the writer's transaction: bump the epochs first (sorted, so writers lock in one order), then drop the stale hours.</summary>
    private static async Task DropStaleRollupsAsync(NpgsqlConnection connection, List<(long Device, long Hour)> late, CancellationToken ct)
    {
        if (late.Count == 0) return;
        var devices = late.Select(l => l.Device).Distinct().Order().ToArray();
        await using (var bump = new NpgsqlCommand("""
            INSERT INTO rollup_epochs (device_id, epoch) SELECT d, 1 FROM unnest($1::bigint[]) AS u(d)
            ON CONFLICT (device_id) DO UPDATE SET epoch = rollup_epochs.epoch + 1
            """, connection))
        {
            bump.Parameters.Add(new NpgsqlParameter { Value = devices });
            await bump.ExecuteNonQueryAsync(ct);
        }
        foreach (var table in new[] { "rollup_hours", "rollup_hour_metrics" })
        {
            await using var delete = new NpgsqlCommand(
                $"DELETE FROM {table} t USING unnest($1::bigint[], $2::bigint[]) AS u(d, h) WHERE t.device_id = u.d AND t.hour = u.h", connection);
            delete.Parameters.Add(new NpgsqlParameter { Value = late.Select(l => l.Device).ToArray() });
            delete.Parameters.Add(new NpgsqlParameter { Value = late.Select(l => l.Hour).ToArray() });
            await delete.ExecuteNonQueryAsync(ct);
        }
    }
}
