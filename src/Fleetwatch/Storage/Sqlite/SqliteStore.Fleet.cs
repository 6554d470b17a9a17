using Fleetwatch.Devices;
using Fleetwatch.Fleet;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : IFleetStore
{
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
        using var select = Command(connection, null, "SELECT id, external_id FROM devices WHERE project_id = $p", [("$p", projectId)]);
        using var reader = select.ExecuteReader();
        var devices = new List<DeviceRecord>();
        while (reader.Read())
        {
            if (wanted.Contains(reader.GetString(1))) devices.Add(new DeviceRecord(reader.GetInt64(0), projectId, reader.GetString(1)));
        }
        return Task.FromResult<IReadOnlyList<DeviceRecord>>(devices);
    }

    public Task LoadFleetStateAsync(FleetState state, MetricDictionary metrics, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT device_id, kind, ts, payload FROM events WHERE kind IN ($h, $u)",
            [("$h", (int)EventKind.Heartbeat), ("$u", (int)EventKind.UploadStat)]);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var kind = (EventKind)reader.GetInt32(1);
            FieldValue? upload = null;
            if (kind == EventKind.UploadStat)
            {
                var fields = PayloadCodec.Decode((byte[])reader[3], id => MetricName(metrics, id));
                upload = fields.FirstOrDefault(f => f.Name == FleetState.UploadTimeField).Value;
            }
            state.Apply(reader.GetInt64(0), kind, reader.GetInt64(2), upload);
        }
        return Task.CompletedTask;
    }
}
