using Fleetwatch.Fleet;
using Fleetwatch.Model;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : IFleetStore
{
    public async Task LoadFleetStateAsync(FleetState state, MetricDictionary metrics, CancellationToken ct)
    {
        // Index scans per device and kind (the (device, kind, ts) b-tree), not a pass over every event of every kind.
        await using var command = _dataSource.CreateCommand("""
            SELECT e.device_id, e.kind, e.ts, e.payload FROM devices d CROSS JOIN LATERAL (
                SELECT device_id, kind, ts, payload FROM events WHERE device_id = d.id AND kind IN ($1, $2)) e
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.Heartbeat });
        command.Parameters.Add(new NpgsqlParameter { Value = (short)EventKind.UploadStat });
        var uploads = new List<(long Device, long Ts, byte[] Payload)>();
        // Closed before the metric lookup: a data-source command's reader hands its connection back to the pool, and closing it twice would close whoever has it next.
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var kind = (EventKind)reader.GetInt16(1);
                if (kind == EventKind.Heartbeat) state.Apply(reader.GetInt64(0), kind, reader.GetInt64(2), null);
                else uploads.Add((reader.GetInt64(0), reader.GetInt64(2), (byte[])reader[3]));
            }
        }
        await KnowMetricsOfAsync(uploads.Select(u => u.Payload), metrics, ct);
        foreach (var (device, ts, payload) in uploads)
        {
            var upload = Decode(payload, metrics).FirstOrDefault(f => f.Name == FleetState.UploadTimeField).Value;
            state.Apply(device, EventKind.UploadStat, ts, upload);
        }
    }
}
