using Fleetwatch.Model;
using Fleetwatch.Status;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>Events another node committed, with their devices, shaped as a batch for this node's observers.</summary>
    public async Task<CommittedBatch> ReadCommittedAsync(long minId, long maxId, MetricDictionary metrics, CancellationToken ct, bool backfill = false)
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT e.id, e.ts, e.received_at, e.device_id, e.kind, e.payload, d.project_id, d.external_id
            FROM events e JOIN devices d ON d.id = e.device_id
            WHERE e.id BETWEEN $1 AND $2 ORDER BY e.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = minId });
        command.Parameters.Add(new NpgsqlParameter { Value = maxId });
        var rows = new List<(long Id, long Ts, long Received, long Device, short Kind, byte[] Payload, long Project, string External)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt16(4),
                    (byte[])reader[5], reader.GetInt64(6), reader.GetString(7)));
            }
        }
        await KnowMetricsOfAsync(rows.Select(r => r.Payload), metrics, ct);
        var events = rows.Select(r => new StoredEvent(r.Id, r.Device, (EventKind)r.Kind, r.Ts, r.Received, Decode(r.Payload, metrics))).ToArray();
        var drafts = rows.Select((r, i) => new EventDraft
        {
            ProjectId = r.Project, ExternalId = r.External, DeviceId = r.Device, Kind = (EventKind)r.Kind, TsMicros = r.Ts, Fields = events[i].Fields,
            Backfill = backfill,
        }).ToArray();
        var devices = rows.DistinctBy(r => r.Device).Select(r => new NewDevice(r.Project, r.External, r.Device)).ToArray();
        return new CommittedBatch(events, drafts, devices);
    }

    /// <summary>One row per device per batch: the batch's own latest status, kept only if it beats the stored one.</summary>
    public Task<IReadOnlyList<StoredEvent>> LoadLatestStatusesAsync(MetricDictionary metrics, CancellationToken ct) =>
        LoadLatestOfKindAsync(EventKind.Status, metrics, ct);

    /// <summary>Each device's newest event of one kind (greatest timestamp; a tie goes to the later write).</summary>
    private async Task<IReadOnlyList<StoredEvent>> LoadLatestOfKindAsync(EventKind kind, MetricDictionary metrics, CancellationToken ct)
    {
        // One backward index scan per device.
        await using var command = _dataSource.CreateCommand($"""
            SELECT d.id, l.id, l.ts, l.received_at, l.payload FROM devices d CROSS JOIN LATERAL (
                SELECT id, ts, received_at, payload FROM events WHERE device_id = d.id AND kind = {(int)kind}
                ORDER BY ts DESC, id DESC LIMIT 1) l
            """);
        var rows = new List<(long Device, long Id, long Ts, long Received, byte[] Payload)>();
        // Closed before the metric lookup: a data-source command's reader hands its connection back to the pool, and closing it twice would close whoever has it next.
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), (byte[])reader[4]));
        }
        await KnowMetricsOfAsync(rows.Select(r => r.Payload), metrics, ct);
        return rows.Select(r => new StoredEvent(r.Id, r.Device, kind, r.Ts, r.Received, Decode(r.Payload, metrics))).ToList();
    }

    public async Task<StatusPage> GetStatusHistoryAsync(long deviceId, StatusHistoryQuery query, MetricDictionary metrics, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        if (query.Total is null) batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT COUNT(*) FROM events WHERE device_id = $1 AND kind = $2 AND ts BETWEEN $3 AND $4"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT id, ts, received_at, payload FROM events
            WHERE device_id = $1 AND kind = $2 AND ts BETWEEN $3 AND $4
            ORDER BY ts DESC, id DESC LIMIT $5 OFFSET $6
            """));
        foreach (var command in batch.BatchCommands)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.Status });
            command.Parameters.Add(new NpgsqlParameter { Value = query.FromMicros });
            command.Parameters.Add(new NpgsqlParameter { Value = query.ToMicros });
        }
        batch.BatchCommands[^1].Parameters.Add(new NpgsqlParameter { Value = (long)query.Limit });
        batch.BatchCommands[^1].Parameters.Add(new NpgsqlParameter { Value = (long)query.Offset });

        var total = query.Total ?? 0;
        var rows = new List<(long Id, long Ts, long Received, byte[] Payload)>();
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (query.Total is null)
            {
                await reader.ReadAsync(ct);
                total = reader.GetInt64(0);
                await reader.NextResultAsync(ct);
            }
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), (byte[])reader[3]));
        }
        await KnowMetricsOfAsync(rows.Select(r => r.Payload), metrics, ct);
        var events = rows.Select(r => new StoredEvent(r.Id, deviceId, EventKind.Status, r.Ts, r.Received, Decode(r.Payload, metrics))).ToList();
        return new StatusPage(total, events);
    }

    public async Task<(long Count, long MaxId)> CountStatusesAsync(long deviceId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM events WHERE device_id = $1 AND kind = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.Status });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Metric names are normally in memory; one another node added is read before decoding, with every other
    /// name, asynchronously — never a blocking query in the middle of decoding.
    /// </summary>
    private async Task KnowMetricsOfAsync(IEnumerable<byte[]> payloads, MetricDictionary metrics, CancellationToken ct)
    {
        if (payloads.All(p => PayloadCodec.AllMetricsKnown(p, id => metrics.TryGetName(id, out _)))) return;
        await LoadMetricsAsync(metrics, ct);
    }

    private static Field[] Decode(byte[] payload, MetricDictionary metrics) =>
        PayloadCodec.Decode(payload, id => metrics.TryGetName(id, out var name) ? name : $"metric#{id}");
}
