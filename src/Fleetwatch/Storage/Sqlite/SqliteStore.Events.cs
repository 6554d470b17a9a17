using Fleetwatch.Model;
using Fleetwatch.Status;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    // Owned by the single writer loop: event ids come from this counter, persisted in `settings` in the
    // same transaction as the events, so no index on id is needed (the events table has none).
    private long _nextEventId;
    private WriterCommands? _writer;

    /// <summary>One connection writes: transactions go one after another.</summary>
    public bool CommitsConcurrently => false;

    public Task<CommittedBatch> WriteBatchAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics, CancellationToken ct)
    {
        _writer ??= new WriterCommands(_connectionString, _busyTimeoutPragma);
        var w = _writer;
        var now = Clock.NowMicros();
        using var tx = w.Connection.BeginTransaction(deferred: false);
        try
        {
            var newDevices = CreateMissingDevices(w, tx, drafts, now);
            var newMetrics = new Dictionary<string, int>(StringComparer.Ordinal);
            int MetricId(string name)
            {
                if (metrics.TryGetId(name, out var id) || newMetrics.TryGetValue(name, out id)) return id;
                w.InsertMetric.Transaction = tx;
                w.InsertMetric.Parameters[0].Value = name;
                id = Convert.ToInt32(w.InsertMetric.ExecuteScalar(), null);
                newMetrics[name] = id;
                return id;
            }

            var events = new StoredEvent[drafts.Count];
            var payloads = new byte[drafts.Count][];
            var nextId = _nextEventId;
            for (var i = 0; i < drafts.Count; i++)
            {
                var draft = drafts[i];
                payloads[i] = PayloadCodec.Encode(draft.Fields, MetricId);
                events[i] = new StoredEvent(nextId++, draft.DeviceId, draft.Kind, draft.TsMicros, now, draft.Fields);
            }
            for (var i = 0; i < events.Length; i++) w.InsertEvent.Insert(events[i], now, payloads[i]);
            DropStaleRollups(w, tx, Telemetry.HourlyRollup.LateHours(events, now));

            w.SaveNextId.Transaction = tx;
            w.SaveNextId.Parameters[0].Value = nextId;
            w.SaveNextId.ExecuteNonQuery();
            tx.Commit();
            _nextEventId = nextId;
            foreach (var (name, id) in newMetrics) metrics.Add(id, name);
            return Task.FromResult(new CommittedBatch(events, [.. drafts], newDevices));
        }
        catch
        {
            tx.Rollback();
            throw;
        }
    }

    /// <summary>
    /// A delete of the retention (<see cref="PortableRetentionStore"/>'s SQL) on the writer's own connection: called by
    /// the writer's loop between two batches, never beside one. Not synced at its commit: a sync costs more than the
    /// delete (a turn of 100 rows took 20–28 ms with one, mostly waiting for the disk), and a delete lost in a crash is
    /// simply done again by the next pass; the next batch's synced commit makes it durable anyway (WAL order).
    /// </summary>
    public int DeleteOnWriter(string sql, params (string Name, object Value)[] parameters)
    {
        _writer ??= new WriterCommands(_connectionString, _busyTimeoutPragma);
        Execute(_writer.Connection, null, "PRAGMA synchronous=NORMAL");
        try
        {
            using var command = Command(_writer.Connection, null, sql, parameters);
            return command.ExecuteNonQuery();
        }
        finally
        {
            Execute(_writer.Connection, null, "PRAGMA synchronous=FULL");
        }
    }

    private static NewDevice[] CreateMissingDevices(WriterCommands w, SqliteTransaction tx, IReadOnlyList<EventDraft> drafts, long now)
    {
        Dictionary<(long, string), long>? created = null;
        foreach (var draft in drafts)
        {
            if (draft.DeviceId != 0) continue;
            created ??= [];
            var key = (draft.ProjectId, draft.ExternalId);
            if (!created.TryGetValue(key, out var id))
            {
                w.InsertDevice.Transaction = tx;
                w.InsertDevice.Parameters[0].Value = draft.ProjectId;
                w.InsertDevice.Parameters[1].Value = draft.ExternalId;
                w.InsertDevice.Parameters[2].Value = now;
                id = (long)w.InsertDevice.ExecuteScalar()!;
                created[key] = id;
            }
            draft.DeviceId = id;
        }
        return created is null ? [] : [.. created.Select(c => new NewDevice(c.Key.Item1, c.Key.Item2, c.Value))];
    }

    public Task<IReadOnlyList<StoredEvent>> LoadLatestStatusesAsync(MetricDictionary metrics, CancellationToken ct) =>
        Task.FromResult(LoadLatestOfKind(EventKind.Status, metrics));

    /// <summary>Each device's newest event of one kind (greatest timestamp; a tie goes to the later write).</summary>
    private IReadOnlyList<StoredEvent> LoadLatestOfKind(EventKind kind, MetricDictionary metrics)
    {
        using var connection = Open();
        // One index seek per device: the newest timestamp, then the rows at it.
        using var command = Command(connection, null, $"""
            SELECT e.device_id, e.id, e.ts, e.received_at, e.payload
            FROM devices d JOIN events e ON e.device_id = d.id AND e.kind = {(int)kind}
                AND e.ts = (SELECT MAX(ts) FROM events WHERE device_id = d.id AND kind = {(int)kind})
            """, []);
        using var reader = command.ExecuteReader();
        var list = new List<StoredEvent>();
        while (reader.Read())
        {
            list.Add(new StoredEvent(reader.GetInt64(1), reader.GetInt64(0), kind, reader.GetInt64(2), reader.GetInt64(3),
                PayloadCodec.Decode((byte[])reader[4], id => MetricName(metrics, id))));
        }
        return list;
    }

    public Task<StatusPage> GetStatusHistoryAsync(long deviceId, StatusHistoryQuery query, MetricDictionary metrics, CancellationToken ct)
    {
        using var connection = Open();
        (string, object)[] range = [("$d", deviceId), ("$k", (int)EventKind.Status), ("$from", query.FromMicros), ("$to", query.ToMicros)];
        var total = query.Total ?? (long)Scalar(connection, null,
            "SELECT COUNT(*) FROM events WHERE device_id = $d AND kind = $k AND ts BETWEEN $from AND $to", range)!;
        var events = new List<StoredEvent>(Math.Min(query.Limit, 128));
        if (total > query.Offset)
        {
            using var command = Command(connection, null, """
                SELECT id, ts, received_at, payload FROM events
                WHERE device_id = $d AND kind = $k AND ts BETWEEN $from AND $to
                ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset
                """, [.. range, ("$limit", query.Limit), ("$offset", query.Offset)]);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events.Add(new StoredEvent(reader.GetInt64(0), deviceId, EventKind.Status, reader.GetInt64(1), reader.GetInt64(2),
                    PayloadCodec.Decode((byte[])reader[3], id => MetricName(metrics, id))));
            }
        }
        return Task.FromResult(new StatusPage(total, events));
    }

    public Task<(long Count, long MaxId)> CountStatusesAsync(long deviceId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM events WHERE device_id = $d AND kind = $k",
            [("$d", deviceId), ("$k", (int)EventKind.Status)]);
        using var reader = command.ExecuteReader();
        reader.Read();
        return Task.FromResult((reader.GetInt64(0), reader.GetInt64(1)));
    }

    /// <summary>Names are normally in memory; a miss means another process added one, so read it once.</summary>
    private string MetricName(MetricDictionary metrics, int id)
    {
        if (metrics.TryGetName(id, out var name)) return name;
        using var connection = Open();
        name = (string)Scalar(connection, null, "SELECT name FROM metrics WHERE id = $id", ("$id", id))!;
        metrics.Add(id, name);
        return name;
    }

    /// <summary>The writer's connection and its prepared statements, reused for every batch.</summary>
    private sealed class WriterCommands : IDisposable
    {
        public SqliteConnection Connection { get; }
        public EventInsert InsertEvent { get; }
        public SqliteCommand InsertDevice { get; }
        public SqliteCommand InsertMetric { get; }
        public SqliteCommand SaveNextId { get; }
        public SqliteCommand BumpRollupEpoch { get; }
        public SqliteCommand DeleteRollupHour { get; }
        public SqliteCommand DeleteRollupHourMetrics { get; }

        public WriterCommands(string connectionString, string busyTimeoutPragma)
        {
            Connection = new SqliteConnection(connectionString);
            Connection.Open();
            // FULL syncs the WAL at every commit: an acknowledged write survives a power loss, not only a crash.
            Execute(Connection, null, "PRAGMA journal_mode=WAL");
            Execute(Connection, null, "PRAGMA synchronous=FULL");
            UseSqliteBusyWait(Connection, busyTimeoutPragma);
            InsertEvent = new EventInsert(Connection);
            InsertDevice = Prepare("""
                INSERT INTO devices (project_id, external_id, created_at) VALUES ($p, $e, $t)
                ON CONFLICT (project_id, external_id) DO UPDATE SET external_id = excluded.external_id RETURNING id
                """, "$p", "$e", "$t");
            InsertMetric = Prepare("INSERT INTO metrics (name) VALUES ($n) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id", "$n");
            SaveNextId = Prepare("UPDATE settings SET value = $v WHERE name = 'next_event_id'", "$v");
            BumpRollupEpoch = Prepare("INSERT INTO rollup_epochs (device_id, epoch) VALUES ($d, 1) ON CONFLICT (device_id) DO UPDATE SET epoch = epoch + 1", "$d");
            DeleteRollupHour = Prepare("DELETE FROM rollup_hours WHERE device_id = $d AND hour = $h", "$d", "$h");
            DeleteRollupHourMetrics = Prepare("DELETE FROM rollup_hour_metrics WHERE device_id = $d AND hour = $h", "$d", "$h");
        }

        private SqliteCommand Prepare(string sql, params string[] names)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            return command;
        }

        public void Dispose()
        {
            InsertEvent.Dispose();
            InsertDevice.Dispose();
            InsertMetric.Dispose();
            SaveNextId.Dispose();
            BumpRollupEpoch.Dispose();
            DeleteRollupHour.Dispose();
            DeleteRollupHourMetrics.Dispose();
            Connection.Dispose();
        }
    }
}
