using Fleetwatch.Telemetry;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : IRollupStore
{
    private static readonly string ReadingKinds = string.Join(',', EventQuery.Readings.Select(k => (int)k));
    // A device's readings in a time range, in index order: for roll-ups and raw aggregates.
    private static readonly string ReadingRowsSql = $"SELECT ts, id, payload FROM events WHERE device_id = $d AND kind IN ({ReadingKinds}) AND ts BETWEEN $from AND $to";
    private const string EpochSql = "SELECT epoch FROM rollup_epochs WHERE device_id = $d";

    public Task<HashSet<long>> RolledUpHoursAsync(long deviceId, long fromHour, long toHour, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT hour FROM rollup_hours WHERE device_id = $d AND hour BETWEEN $from AND $to",
            [("$d", deviceId), ("$from", fromHour), ("$to", toHour)]);
        using var reader = command.ExecuteReader();
        var hours = new HashSet<long>();
        while (reader.Read()) hours.Add(reader.GetInt64(0));
        return Task.FromResult(hours);
    }

    public Task<IReadOnlyList<RollupSpan>> MaterializeAsync(IReadOnlyList<RollupSpan> spans, CancellationToken ct)
    {
        using var connection = Open();
        var builders = new HourlyRollup.Builder[spans.Count];
        var epochs = new long[spans.Count];
        // One read transaction: the epochs and the rows come from the same snapshot.
        using (var read = connection.BeginTransaction(deferred: true))
        using (var epoch = Command(connection, read, EpochSql, [("$d", 0L)]))
        using (var rows = Command(connection, read, ReadingRowsSql, [("$d", 0L), ("$from", 0L), ("$to", 0L)]))
        {
            for (var i = 0; i < spans.Count; i++)
            {
                var span = spans[i];
                epoch.Parameters["$d"].Value = span.DeviceId;
                epochs[i] = epoch.ExecuteScalar() as long? ?? 0;
                rows.Parameters["$d"].Value = span.DeviceId;
                rows.Parameters["$from"].Value = span.FromHour;
                rows.Parameters["$to"].Value = span.ToHour + HourlyRollup.HourMicros - 1;
                var builder = builders[i] = new HourlyRollup.Builder(span.FromHour, span.ToHour);
                using var reader = rows.ExecuteReader();
                while (reader.Read()) builder.Add(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader[2]);
            }
            read.Commit();
        }

        var raced = new List<RollupSpan>();
        using var write = connection.BeginTransaction(deferred: false);
        using var check = Command(connection, write, EpochSql, [("$d", 0L)]);
        using var hours = Command(connection, write, "INSERT OR REPLACE INTO rollup_hours (device_id, hour, readings, first_ts, last_ts) VALUES ($d, $h, $n, $f, $l)",
            [("$d", 0L), ("$h", 0L), ("$n", 0L), ("$f", 0L), ("$l", 0L)]);
        using var metrics = Command(connection, write, """
            INSERT OR REPLACE INTO rollup_hour_metrics (device_id, hour, metric_id, count, sum, min, max, first_ts, last_ts, last_id, last_value)
            VALUES ($d, $h, $m, $n, $s, $min, $max, $f, $l, $li, $lv)
            """, [("$d", 0L), ("$h", 0L), ("$m", 0), ("$n", 0L), ("$s", 0.0), ("$min", 0.0), ("$max", 0.0), ("$f", 0L), ("$l", 0L), ("$li", 0L), ("$lv", 0.0)]);
        for (var i = 0; i < spans.Count; i++)
        {
            var device = spans[i].DeviceId;
            check.Parameters["$d"].Value = device;
            // A late write since the snapshot bumped the epoch: what was read may be stale, so store nothing of it.
            if ((check.ExecuteScalar() as long? ?? 0) != epochs[i])
            {
                raced.Add(spans[i]);
                continue;
            }
            hours.Parameters["$d"].Value = device;
            foreach (var h in builders[i].Hours())
            {
                hours.Parameters["$h"].Value = h.Hour;
                hours.Parameters["$n"].Value = h.Readings;
                hours.Parameters["$f"].Value = (object?)h.FirstTs ?? DBNull.Value;
                hours.Parameters["$l"].Value = (object?)h.LastTs ?? DBNull.Value;
                hours.ExecuteNonQuery();
            }
            var p = metrics.Parameters;
            p["$d"].Value = device;
            foreach (var m in builders[i].Metrics())
            {
                p["$h"].Value = m.Hour;
                p["$m"].Value = m.MetricId;
                p["$n"].Value = m.Count;
                p["$s"].Value = m.Sum;
                p["$min"].Value = m.Min;
                p["$max"].Value = m.Max;
                p["$f"].Value = m.FirstTs;
                p["$l"].Value = m.LastTs;
                p["$li"].Value = m.LastId;
                p["$lv"].Value = m.LastValue;
                metrics.ExecuteNonQuery();
            }
        }
        write.Commit();
        return Task.FromResult<IReadOnlyList<RollupSpan>>(raced);
    }

    public Task<(IReadOnlyList<RollupHour> Hours, IReadOnlyList<RollupMetric> Metrics)> ReadRollupsAsync(long deviceId, long fromHour, long toHour, int? metricId, CancellationToken ct)
    {
        using var connection = Open();
        var hours = new List<RollupHour>();
        using (var command = Command(connection, null, "SELECT hour, readings, first_ts, last_ts FROM rollup_hours WHERE device_id = $d AND hour BETWEEN $from AND $to",
            [("$d", deviceId), ("$from", fromHour), ("$to", toHour)]))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                hours.Add(new RollupHour(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }
        var metrics = new List<RollupMetric>();
        using (var command = Command(connection, null, $"""
            SELECT hour, metric_id, count, sum, min, max, first_ts, last_ts, last_id, last_value FROM rollup_hour_metrics
            WHERE device_id = $d AND hour BETWEEN $from AND $to {(metricId is null ? "" : "AND metric_id = $m")}
            """, [("$d", deviceId), ("$from", fromHour), ("$to", toHour), ("$m", metricId ?? 0)]))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                metrics.Add(new RollupMetric(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4),
                    reader.GetDouble(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDouble(9)));
            }
        }
        return Task.FromResult<(IReadOnlyList<RollupHour>, IReadOnlyList<RollupMetric>)>((hours, metrics));
    }

    /// <summary>
    /// In the writer's transaction, with its prepared statements (a backfill makes every batch late): the epoch
    /// first, then the stale hours (the order the PostgreSQL twin needs too).
    /// </summary>
    private static void DropStaleRollups(WriterCommands w, SqliteTransaction tx, List<(long Device, long Hour)> late)
    {
        if (late.Count == 0) return;
        long? previous = null;
        foreach (var (device, _) in late) // sorted, so each device's pairs are together
        {
            if (device == previous) continue;
            previous = device;
            Run(w.BumpRollupEpoch, tx, device, hour: null);
        }
        foreach (var (device, hour) in late)
        {
            Run(w.DeleteRollupHour, tx, device, hour);
            Run(w.DeleteRollupHourMetrics, tx, device, hour);
        }

        static void Run(SqliteCommand command, SqliteTransaction tx, long device, long? hour)
        {
            command.Transaction = tx;
            command.Parameters[0].Value = device;
            if (hour is { } h) command.Parameters[1].Value = h;
            command.ExecuteNonQuery();
        }
    }
}
