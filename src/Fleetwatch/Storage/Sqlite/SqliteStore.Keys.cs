using Fleetwatch.Auth;
using Fleetwatch.Model;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string KeyColumns = "id, prefix, secret_hash, project_id, role, name, created_at, last_used_at, revoked_at, device_id";

    public Task<ApiKeyRecord?> FindKeyAsync(string prefix, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"SELECT {KeyColumns} FROM api_keys WHERE prefix = $p", [("$p", prefix)]);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadKey(reader) : null);
    }

    public Task<ApiKeyRecord> InsertKeyAsync(NewApiKey key, CancellationToken ct)
    {
        using var connection = Open();
        var id = InsertKey(connection, null, key, Clock.NowMicros());
        using var command = Command(connection, null, $"SELECT {KeyColumns} FROM api_keys WHERE id = $id", [("$id", id)]);
        using var reader = command.ExecuteReader();
        reader.Read();
        return Task.FromResult(ReadKey(reader));
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(long? projectId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"SELECT {KeyColumns} FROM api_keys WHERE $p IS NULL OR project_id = $p ORDER BY id",
            [("$p", (object?)projectId ?? DBNull.Value)]);
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyRecord>();
        while (reader.Read()) keys.Add(ReadKey(reader));
        return Task.FromResult<IReadOnlyList<ApiKeyRecord>>(keys);
    }

    public Task<bool> RevokeKeyAsync(string prefix, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "UPDATE api_keys SET revoked_at = $t WHERE prefix = $p AND revoked_at IS NULL",
            [("$t", Clock.NowMicros()), ("$p", prefix)]);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    public Task RecordKeyUseAsync(IReadOnlyCollection<KeyValuePair<string, long>> lastUsedByPrefix, CancellationToken ct) =>
        MoveTimesForward("api_keys", "prefix", "last_used_at", lastUsedByPrefix);

    private static long InsertKey(SqliteConnection connection, SqliteTransaction? tx, NewApiKey key, long now) =>
        (long)Scalar(connection, tx,
            "INSERT INTO api_keys (prefix, secret_hash, project_id, role, name, created_at, device_id) VALUES ($p, $h, $proj, $r, $n, $t, $d) RETURNING id",
            ("$p", key.Prefix), ("$h", key.SecretHash), ("$proj", (object?)key.ProjectId ?? DBNull.Value), ("$r", (int)key.Role),
            ("$n", (object?)key.Name ?? DBNull.Value), ("$t", now), ("$d", (object?)key.DeviceId ?? DBNull.Value))!;

    private static ApiKeyRecord ReadKey(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), (byte[])r[2], r.IsDBNull(3) ? null : r.GetInt64(3), (KeyRole)r.GetInt32(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
        r.IsDBNull(9) ? null : r.GetInt64(9));
}
