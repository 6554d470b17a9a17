using Fleetwatch.Devices;
using Fleetwatch.Model;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string DeviceColumns = "id, project_id, external_id, name, tags, created_at, deactivated_at, last_seen_at, inactivity_timeout_seconds";

    public Task<IReadOnlyList<DeviceRecord>> LoadDevicesAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"SELECT {DeviceColumns} FROM devices", []);
        return Task.FromResult<IReadOnlyList<DeviceRecord>>(ReadDevices(command));
    }

    public Task<DeviceRecord?> FindDeviceAsync(long deviceId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"SELECT {DeviceColumns} FROM devices WHERE id = $id", [("$id", deviceId)]);
        return Task.FromResult(ReadDevices(command).FirstOrDefault());
    }

    public Task<IReadOnlyList<DeviceRecord>> EnsureDevicesAsync(long projectId, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        using var insert = Command(connection, tx, "INSERT INTO devices (project_id, external_id, created_at) VALUES ($p, $e, $t) ON CONFLICT DO NOTHING",
            [("$p", projectId), ("$e", ""), ("$t", Clock.NowMicros())]);
        foreach (var id in externalIds)
        {
            insert.Parameters["$e"].Value = id;
            insert.ExecuteNonQuery();
        }
        tx.Commit();
        var wanted = externalIds.ToHashSet(StringComparer.Ordinal);
        using var select = Command(connection, null, $"SELECT {DeviceColumns} FROM devices WHERE project_id = $p", [("$p", projectId)]);
        return Task.FromResult<IReadOnlyList<DeviceRecord>>([.. ReadDevices(select).Where(d => wanted.Contains(d.ExternalId))]);
    }

    public Task<DeviceRecord?> CreateDeviceAsync(long projectId, string externalId, string name, string[] tags, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"""
            INSERT INTO devices (project_id, external_id, name, tags, created_at) VALUES ($p, $e, $n, $tags, $t)
            ON CONFLICT (project_id, external_id) DO NOTHING RETURNING {DeviceColumns}
            """, [("$p", projectId), ("$e", externalId), ("$n", name), ("$tags", DeviceTags.ToJson(tags)), ("$t", Clock.NowMicros())]);
        return Task.FromResult(ReadDevices(command).FirstOrDefault());
    }

    public Task<bool> SetTagsAsync(long deviceId, string[] tags, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "UPDATE devices SET tags = $tags WHERE id = $id", [("$tags", DeviceTags.ToJson(tags)), ("$id", deviceId)]);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task<bool> DeleteDeviceAsync(long deviceId, CancellationToken ct)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        Execute(connection, tx, "DELETE FROM events WHERE device_id = $id", ("$id", deviceId));
        Execute(connection, tx, "DELETE FROM rollup_hours WHERE device_id = $id", ("$id", deviceId));
        Execute(connection, tx, "DELETE FROM rollup_hour_metrics WHERE device_id = $id", ("$id", deviceId));
        using var delete = Command(connection, tx, "DELETE FROM devices WHERE id = $id", [("$id", deviceId)]);
        var deleted = delete.ExecuteNonQuery() == 1;
        tx.Commit();
        return Task.FromResult(deleted);
    }

    public Task<bool> DeactivateDeviceAsync(long deviceId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "UPDATE devices SET deactivated_at = $t WHERE id = $id AND deactivated_at IS NULL",
            [("$t", Clock.NowMicros()), ("$id", deviceId)]);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task AnnounceDevicesChangedAsync(CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, null, "INSERT INTO settings (name, value) VALUES ('devices_version', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1", []);
        return Task.CompletedTask;
    }

    public Task<long> DevicesVersionAsync(CancellationToken ct)
    {
        using var connection = Open();
        return Task.FromResult(Scalar(connection, null, "SELECT value FROM settings WHERE name = 'devices_version'", []) is long version ? version : 0);
    }

    public Task RecordLastSeenAsync(IReadOnlyCollection<KeyValuePair<long, long>> lastSeenByDevice, CancellationToken ct) =>
        MoveTimesForward("devices", "id", "last_seen_at", lastSeenByDevice);

    private static List<DeviceRecord> ReadDevices(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var devices = new List<DeviceRecord>();
        while (reader.Read())
        {
            devices.Add(new DeviceRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), DeviceTags.FromJson(reader.GetString(4)), reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt32(8)));
        }
        return devices;
    }
}
