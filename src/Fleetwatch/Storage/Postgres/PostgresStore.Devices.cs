using Fleetwatch.Devices;
using Fleetwatch.Model;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string DeviceColumns = "id, project_id, external_id, name, tags, created_at, deactivated_at, last_seen_at, inactivity_timeout_seconds";

    public async Task<IReadOnlyList<DeviceRecord>> LoadDevicesAsync(CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {DeviceColumns} FROM devices");
        return await ReadDevicesAsync(command, ct);
    }

    public async Task<DeviceRecord?> FindDeviceAsync(long deviceId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {DeviceColumns} FROM devices WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        return (await ReadDevicesAsync(command, ct)).FirstOrDefault();
    }

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
        await using var select = _dataSource.CreateCommand($"SELECT {DeviceColumns} FROM devices WHERE project_id = $1 AND external_id = ANY($2)");
        select.Parameters.Add(new NpgsqlParameter { Value = projectId });
        select.Parameters.Add(new NpgsqlParameter { Value = sorted });
        return await ReadDevicesAsync(select, ct);
    }

    public async Task<DeviceRecord?> CreateDeviceAsync(long projectId, string externalId, string name, string[] tags, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO devices (project_id, external_id, name, tags, created_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (project_id, external_id) DO NOTHING RETURNING {DeviceColumns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectId });
        command.Parameters.Add(new NpgsqlParameter { Value = externalId });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = DeviceTags.ToJson(tags) });
        command.Parameters.Add(new NpgsqlParameter { Value = Clock.NowMicros() });
        return (await ReadDevicesAsync(command, ct)).FirstOrDefault();
    }

    public async Task<bool> SetTagsAsync(long deviceId, string[] tags, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("UPDATE devices SET tags = $1 WHERE id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = DeviceTags.ToJson(tags) });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> DeleteDeviceAsync(long deviceId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, "DELETE FROM events WHERE device_id = $1", ct, deviceId);
        await ExecuteAsync(connection, "DELETE FROM rollup_hours WHERE device_id = $1", ct, deviceId);
        await ExecuteAsync(connection, "DELETE FROM rollup_hour_metrics WHERE device_id = $1", ct, deviceId);
        await using var delete = Command(connection, "DELETE FROM devices WHERE id = $1", [deviceId]);
        var deleted = await delete.ExecuteNonQueryAsync(ct) == 1;
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task<bool> DeactivateDeviceAsync(long deviceId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("UPDATE devices SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = Clock.NowMicros() });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task AnnounceDevicesChangedAsync(CancellationToken ct) => SendAsync(ChangeBus.DevicesTopic, "", ct);

    public Task<long> DevicesVersionAsync(CancellationToken ct) => Task.FromResult(0L);

    public Task RecordLastSeenAsync(IReadOnlyCollection<KeyValuePair<long, long>> lastSeenByDevice, CancellationToken ct) =>
        MoveTimesForwardAsync("devices", "id", "bigint", "last_seen_at", lastSeenByDevice, ct);

    private static async Task<IReadOnlyList<DeviceRecord>> ReadDevicesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var devices = new List<DeviceRecord>();
        while (await reader.ReadAsync(ct))
        {
            devices.Add(new DeviceRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), DeviceTags.FromJson(reader.GetString(4)), reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt32(8)));
        }
        return devices;
    }
}
