using Fleetwatch.Connectivity;
using Fleetwatch.Model;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : IConnectivityStore
{
    public Task<IReadOnlyDictionary<long, int>> LoadProjectTimeoutsAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT id, inactivity_timeout_seconds FROM projects WHERE inactivity_timeout_seconds IS NOT NULL", []);
        using var reader = command.ExecuteReader();
        var timeouts = new Dictionary<long, int>();
        while (reader.Read()) timeouts[reader.GetInt64(0)] = reader.GetInt32(1);
        return Task.FromResult<IReadOnlyDictionary<long, int>>(timeouts);
    }

    public Task<bool> SetProjectTimeoutAsync(long projectId, int? seconds, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "UPDATE projects SET inactivity_timeout_seconds = $s WHERE id = $id", [("$s", seconds is { } s ? s : DBNull.Value), ("$id", projectId)]);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task<bool> SetDeviceTimeoutAsync(long deviceId, int? seconds, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "UPDATE devices SET inactivity_timeout_seconds = $s WHERE id = $id", [("$s", seconds is { } s ? s : DBNull.Value), ("$id", deviceId)]);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task<IReadOnlyList<StoredEvent>> LoadLatestTransitionsAsync(MetricDictionary metrics, CancellationToken ct) =>
        Task.FromResult(LoadLatestOfKind(EventKind.Connectivity, metrics));
}
