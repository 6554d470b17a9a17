using Fleetwatch.Fleet;
using Fleetwatch.Model;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : IFleetStore
{
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
