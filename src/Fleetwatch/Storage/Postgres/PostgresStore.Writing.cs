using Fleetwatch.Model;
using Npgsql;
using NpgsqlTypes;

namespace Fleetwatch.Storage.Postgres;

// The write path: one batch per transaction, ids and announcements in the order the writer started them.
public sealed partial class PostgresStore
{
    // Below this many events a multi-row INSERT from arrays beats the extra round trips of a COPY.
    private const int CopyThreshold = 64;

    /// <summary>Transactions on several connections commit side by side.</summary>
    public bool CommitsConcurrently => true;

    // The last call's id reservation and announcement: each call waits for the one before, so a later call gets the
    // later ids and announces after it, however the transactions in between finish.
    private Task _lastReservation = Task.CompletedTask;
    private Task _lastAnnouncement = Task.CompletedTask;

    public Task<CommittedBatch> WriteBatchAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics, CancellationToken ct)
    {
        // Before any wait, so in call order (the writer calls from one loop).
        var reservation = ReserveAfterAsync(_lastReservation, drafts.Count, ct);
        _lastReservation = reservation;
        var committed = new TaskCompletionSource<List<(long Min, long Max)>?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _lastAnnouncement = AnnounceAfterAsync(_lastAnnouncement, committed.Task, drafts.Count > 0 && drafts[0].Backfill);
        return WriteAndSignalAsync(drafts, metrics, reservation, committed, ct);
    }

    private async Task<(long[] Ids, List<(long Min, long Max)> Ranges)> ReserveAfterAsync(Task previous, int count, CancellationToken ct)
    {
        await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await _idBlocks.ReserveAsync(_dataSource, count, ct);
    }

    /// <summary>
    /// Announces a batch once it is committed and the batch before it was announced. Behind the answer, not before
    /// it: the requests are answered as soon as their commit is durable, and the writer starts its next transaction.
    /// </summary>
    private async Task AnnounceAfterAsync(Task previous, Task<List<(long Min, long Max)>?> committed, bool backfill)
    {
        await previous;
        if (await committed is not { } ranges) return;
        try
        {
            await AnnounceAsync(ranges, backfill, CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The events are committed: the write succeeded. Other nodes learn of them with the next announcement.
        }
    }

    private async Task<CommittedBatch> WriteAndSignalAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics,
        Task<(long[] Ids, List<(long Min, long Max)> Ranges)> reservation, TaskCompletionSource<List<(long Min, long Max)>?> committed, CancellationToken ct)
    {
        try
        {
            var (batch, ranges) = await WriteOnceAsync(drafts, metrics, reservation, ct);
            committed.TrySetResult(ranges);
            return batch;
        }
        finally
        {
            committed.TrySetResult(null);
        }
    }

    private async Task<(CommittedBatch Batch, List<(long Min, long Max)> Ranges)> WriteOnceAsync(IReadOnlyList<EventDraft> drafts, MetricDictionary metrics,
        Task<(long[] Ids, List<(long Min, long Max)> Ranges)> reservation, CancellationToken ct)
    {
        var now = Clock.NowMicros();
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // The usual batch — known devices and metric names, nothing late — is one statement, atomic by itself: no
        // BEGIN and COMMIT round trips. New devices or names, or late readings, need a transaction around the parts.
        var simple = drafts.All(d => d.DeviceId != 0 && d.Fields.All(f => metrics.TryGetId(f.Name, out _)));
        await using var tx = simple ? null : await connection.BeginTransactionAsync(ct);
        var newDevices = simple ? [] : await CreateMissingDevicesAsync(connection, drafts, now, ct);
        var newMetrics = simple ? [] : await InternMetricsAsync(connection, drafts, metrics, ct);
        int MetricId(string name) => metrics.TryGetId(name, out var id) ? id : newMetrics[name];

        var (ids, ranges) = await reservation;
        var events = new StoredEvent[drafts.Count];
        var payloads = new byte[drafts.Count][];
        for (var i = 0; i < drafts.Count; i++)
        {
            var d = drafts[i];
            events[i] = new StoredEvent(ids[i], d.DeviceId, d.Kind, d.TsMicros, now, d.Fields);
            payloads[i] = PayloadCodec.Encode(d.Fields, MetricId);
        }
        var late = Telemetry.HourlyRollup.LateHours(events, now);
        await using var lateTx = tx is null && late.Count > 0 ? await connection.BeginTransactionAsync(ct) : null;

        if (events.Length >= CopyThreshold) await CopyEventsAsync(connection, events, payloads, ct);
        else await InsertEventsAsync(connection, events, payloads, ct);
        await DropStaleRollupsAsync(connection, late, ct);
        if ((tx ?? lateTx) is { } transaction) await transaction.CommitAsync(ct);
        foreach (var (name, id) in newMetrics) metrics.Add(id, name);
        return (new CommittedBatch(events, [.. drafts], newDevices), ranges);
    }

    /// <summary>
    /// Tells the other nodes, after the commit and outside its transaction, which ids to read. Once per batch,
    /// never per event: a NOTIFY inside the insert transaction takes a server-wide lock at commit.
    /// </summary>
    private async Task AnnounceAsync(List<(long Min, long Max)> ranges, bool backfill, CancellationToken ct)
    {
        if (ranges.Count == 0) return;
        await using var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = PostgresEventFeed.Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = EventIdBlocks.Describe(NodeId, ranges, backfill) });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Tells the other nodes that a device or key changed (see <see cref="ChangeBus"/>).</summary>
    public async Task SendAsync(string topic, string value, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = PostgresEventFeed.ChangesChannel });
        command.Parameters.Add(new NpgsqlParameter { Value = $"{NodeId}|{topic}:{value}" });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<NewDevice[]> CreateMissingDevicesAsync(NpgsqlConnection connection, IReadOnlyList<EventDraft> drafts, long now, CancellationToken ct)
    {
        var missing = drafts.Where(d => d.DeviceId == 0).Select(d => (d.ProjectId, d.ExternalId)).Distinct()
            .OrderBy(k => k.ProjectId).ThenBy(k => k.ExternalId, StringComparer.Ordinal).ToArray();
        if (missing.Length == 0) return [];
        // Sorted, so two nodes creating overlapping devices lock them in the same order and cannot deadlock.
        await using var command = new NpgsqlCommand("""
            INSERT INTO devices (project_id, external_id, created_at)
            SELECT p, e, $3 FROM unnest($1::bigint[], $2::text[]) AS u(p, e)
            ON CONFLICT (project_id, external_id) DO UPDATE SET external_id = excluded.external_id
            RETURNING id, project_id, external_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = missing.Select(m => m.ProjectId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = missing.Select(m => m.ExternalId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        var created = new Dictionary<(long, string), long>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) created[(reader.GetInt64(1), reader.GetString(2))] = reader.GetInt64(0);
        }
        foreach (var draft in drafts)
        {
            if (draft.DeviceId == 0) draft.DeviceId = created[(draft.ProjectId, draft.ExternalId)];
        }
        return [.. created.Select(c => new NewDevice(c.Key.Item1, c.Key.Item2, c.Value))];
    }

    private static async Task<Dictionary<string, int>> InternMetricsAsync(NpgsqlConnection connection, IReadOnlyList<EventDraft> drafts, MetricDictionary metrics, CancellationToken ct)
    {
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var draft in drafts)
        {
            foreach (var field in draft.Fields)
            {
                if (!metrics.TryGetId(field.Name, out _)) unknown.Add(field.Name);
            }
        }
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (unknown.Count == 0) return ids;
        await using var command = new NpgsqlCommand("""
            INSERT INTO metrics (name) SELECT unnest($1::text[])
            ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id, name
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = unknown.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids[reader.GetString(1)] = reader.GetInt32(0);
        return ids;
    }

    private static async Task CopyEventsAsync(NpgsqlConnection connection, StoredEvent[] events, byte[][] payloads, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY events (id, ts, received_at, device_id, kind, payload) FROM STDIN (FORMAT BINARY)", ct);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(e.Id, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(e.TsMicros, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(e.ReceivedMicros, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(e.DeviceId, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync((short)e.Kind, NpgsqlDbType.Smallint, ct);
            await importer.WriteAsync(payloads[i], NpgsqlDbType.Bytea, ct);
        }
        await importer.CompleteAsync(ct);
    }

    private static async Task InsertEventsAsync(NpgsqlConnection connection, StoredEvent[] events, byte[][] payloads, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO events (id, ts, received_at, device_id, kind, payload)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::smallint[], $6::bytea[])
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.TsMicros).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.ReceivedMicros).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.DeviceId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => (short)e.Kind).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = payloads });
        await command.ExecuteNonQueryAsync(ct);
    }
}
