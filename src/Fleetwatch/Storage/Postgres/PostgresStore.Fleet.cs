using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : IFleetStore
{
    public async Task<IReadOnlyList<DeviceRecord>> EnsureDevicesAsync(long projectId, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        var sorted = externalIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await using (var insert = _dataSource.CreateCommand("""
            INSERT INTO devices (project_id, external_id, created_at) SELECT $1, e, $3 FROM unnest($2::text[]) AS u(e)
            ON CONFLICT DO NOTHING
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = projectId });
            insert.Parameters.Add(new NpgsqlParameter { Value = sorted });
            insert.Parameters.Add(new NpgsqlParameter { Value = Clock.NowMicros() });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using var select = _dataSource.CreateCommand("SELECT id, external_id FROM devices WHERE project_id = $1 AND external_id = ANY($2)");
        select.Parameters.Add(new NpgsqlParameter { Value = projectId });
        select.Parameters.Add(new NpgsqlParameter { Value = sorted });
        await using var reader = await select.ExecuteReaderAsync(ct);
        var devices = new List<DeviceRecord>();
        while (await reader.ReadAsync(ct)) devices.Add(new DeviceRecord(reader.GetInt64(0), projectId, reader.GetString(1)));
        return devices;
    }

    public async Task LoadFleetStateAsync(FleetState state, MetricDictionary metrics, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT device_id, kind, ts, payload FROM events WHERE kind IN ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.Heartbeat });
        command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.UploadStat });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var uploads = new List<(long Device, long Ts, byte[] Payload)>();
        while (await reader.ReadAsync(ct))
        {
            var kind = (EventKind)reader.GetInt16(1);
            if (kind == EventKind.Heartbeat) state.Apply(reader.GetInt64(0), kind, reader.GetInt64(2), null);
            else uploads.Add((reader.GetInt64(0), reader.GetInt64(2), (byte[])reader[3]));
        }
        await reader.DisposeAsync();
        // Decoded after the reader is closed: a metric-name miss reads the metrics table on another command.
        foreach (var (device, ts, payload) in uploads)
        {
            var upload = Decode(payload, metrics).FirstOrDefault(f => f.Name == FleetState.UploadTimeField).Value;
            state.Apply(device, EventKind.UploadStat, ts, upload);
        }
    }
}
