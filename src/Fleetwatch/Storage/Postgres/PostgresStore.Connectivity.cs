using Fleetwatch.Connectivity;
using Fleetwatch.Model;
using Npgsql;
using NpgsqlTypes;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : IConnectivityStore
{
    public async Task<IReadOnlyDictionary<long, int>> LoadProjectTimeoutsAsync(CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT id, inactivity_timeout_seconds FROM projects WHERE inactivity_timeout_seconds IS NOT NULL");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var timeouts = new Dictionary<long, int>();
        while (await reader.ReadAsync(ct)) timeouts[reader.GetInt64(0)] = reader.GetInt32(1);
        return timeouts;
    }

    public Task<bool> SetProjectTimeoutAsync(long projectId, int? seconds, CancellationToken ct) =>
        SetTimeoutAsync("UPDATE projects SET inactivity_timeout_seconds = $1 WHERE id = $2", projectId, seconds, ct);

    public Task<bool> SetDeviceTimeoutAsync(long deviceId, int? seconds, CancellationToken ct) =>
        SetTimeoutAsync("UPDATE devices SET inactivity_timeout_seconds = $1 WHERE id = $2", deviceId, seconds, ct);

    public Task<IReadOnlyList<StoredEvent>> LoadLatestTransitionsAsync(MetricDictionary metrics, CancellationToken ct) =>
        LoadLatestOfKindAsync(EventKind.Connectivity, metrics, ct);

    private async Task<bool> SetTimeoutAsync(string sql, long id, int? seconds, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = seconds is { } s ? s : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
