using Fleetwatch.Auth;
using Fleetwatch.Model;
using Npgsql;
using NpgsqlTypes;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string KeyColumns = "id, prefix, secret_hash, project_id, role, name, created_at, last_used_at, revoked_at, device_id";

    public async Task<ApiKeyRecord?> FindKeyAsync(string prefix, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {KeyColumns} FROM api_keys WHERE prefix = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadKey(reader) : null;
    }

    public async Task<ApiKeyRecord> InsertKeyAsync(NewApiKey key, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await InsertKeyAsync(connection, key, Clock.NowMicros(), ct);
        return (await FindKeyAsync(key.Prefix, ct))!;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(long? projectId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {KeyColumns} FROM api_keys WHERE $1::bigint IS NULL OR project_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = (object?)projectId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(ct)) keys.Add(ReadKey(reader));
        return keys;
    }

    public async Task<bool> RevokeKeyAsync(string prefix, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = Clock.NowMicros() });
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task RecordKeyUseAsync(IReadOnlyCollection<KeyValuePair<string, long>> lastUsedByPrefix, CancellationToken ct) =>
        MoveTimesForwardAsync("api_keys", "prefix", "text", "last_used_at", lastUsedByPrefix, ct);

    private static async Task InsertKeyAsync(NpgsqlConnection connection, NewApiKey key, long now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO api_keys (prefix, secret_hash, project_id, role, name, created_at, device_id) VALUES ($1, $2, $3, $4, $5, $6, $7)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = key.Prefix });
        command.Parameters.Add(new NpgsqlParameter { Value = key.SecretHash });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)key.ProjectId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)key.Role });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)key.Name ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)key.DeviceId ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static ApiKeyRecord ReadKey(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), (byte[])r[2], r.IsDBNull(3) ? null : r.GetInt64(3), (KeyRole)r.GetInt32(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
        r.IsDBNull(9) ? null : r.GetInt64(9));
}
