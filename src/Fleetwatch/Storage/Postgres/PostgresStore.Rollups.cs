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

    public async Task<IReadOnlyList<RollupSpan>> MaterializeAsync(IReadOnlyList<RollupSpan> spans, CancellationToken ct)
    {
        var devices = spans.Select(s => s.DeviceId).ToArray();
        var distinct = devices.Distinct().Order().ToArray();
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // The epoch rows must exist for FOR UPDATE below to lock something.
        await ExecuteAsync(connection, "INSERT INTO rollup_epochs (device_id, epoch) SELECT d, 0 FROM unnest($1::bigint[]) AS u(d) ON CONFLICT DO NOTHING", ct, distinct);
        var builders = spans.Select(s => new HourlyRollup.Builder(s.FromHour, s.ToHour)).ToArray();
        Dictionary<long, long> epochs;
        // One snapshot for the epochs and the rows; each span's rows by one index range scan.
        await using (var read = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
        {
            epochs = await EpochsAsync(connection, distinct, forUpdate: false, ct);
            await using var command = new NpgsqlCommand("""
                SELECT s.i, e.ts, e.id, e.payload
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS s(d, f, t, i)
                JOIN events e ON e.device_id = s.d AND e.kind = ANY($4) AND e.ts BETWEEN s.f AND s.t
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = devices });
            command.Parameters.Add(new NpgsqlParameter { Value = spans.Select(s => s.FromHour).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = spans.Select(s => s.ToHour + HourlyRollup.HourMicros - 1).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ReadingKinds });
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) builders[reader.GetInt64(0) - 1].Add(reader.GetInt64(1), reader.GetInt64(2), (byte[])reader[3]);
            }
            await read.CommitAsync(ct);
        }

        await using var write = await connection.BeginTransactionAsync(ct);
        // Locks the epoch rows (in device order, as the writer does): a late write either committed before (its bump
        // shows and that device's spans are not stored) or waits for this commit and then deletes what is stored,
        // since the writer bumps the epoch before it deletes.
        var now = await EpochsAsync(connection, distinct, forUpdate: true, ct);
        var raced = new List<RollupSpan>();
        var hours = new List<(long Device, RollupHour Hour)>();
        var metrics = new List<(long Device, RollupMetric Metric)>();
        for (var i = 0; i < spans.Count; i++)
        {
            var device = spans[i].DeviceId;
            if (now.GetValueOrDefault(device) != epochs.GetValueOrDefault(device))
            {
                raced.Add(spans[i]);
                continue;
            }
            hours.AddRange(builders[i].Hours().Select(h => (device, h)));
            metrics.AddRange(builders[i].Metrics().Select(m => (device, m)));
        }
        await using (var command = new NpgsqlCommand("""
            INSERT INTO rollup_hours (device_id, hour, readings, first_ts, last_ts)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
            ON CONFLICT (device_id, hour) DO UPDATE SET readings = excluded.readings, first_ts = excluded.first_ts, last_ts = excluded.last_ts
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Device).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Hour.Hour).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Hour.Readings).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Hour.FirstTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hours.Select(h => h.Hour.LastTs).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand("""
            INSERT INTO rollup_hour_metrics (device_id, hour, metric_id, count, sum, min, max, first_ts, last_ts, last_id, last_value)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::bigint[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::bigint[], $10::bigint[], $11::float8[])
            ON CONFLICT (device_id, hour, metric_id) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
                first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_id = excluded.last_id, last_value = excluded.last_value
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Device).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.Hour).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.MetricId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.Count).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.Sum).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.Min).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.Max).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.FirstTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.LastTs).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.LastId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = metrics.Select(m => m.Metric.LastValue).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }
        await write.CommitAsync(ct);
        return raced;
    }

    private static async Task<Dictionary<long, long>> EpochsAsync(NpgsqlConnection connection, long[] devices, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT device_id, epoch FROM rollup_epochs WHERE device_id = ANY($1) ORDER BY device_id{(forUpdate ? " FOR UPDATE" : "")}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = devices });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var epochs = new Dictionary<long, long>();
        while (await reader.ReadAsync(ct)) epochs[reader.GetInt64(0)] = reader.GetInt64(1);
        return epochs;
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
