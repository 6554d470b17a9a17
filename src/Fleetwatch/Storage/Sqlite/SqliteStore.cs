using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Status;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

/// <summary>
/// The embedded engine: one file, WAL mode, one writer connection owned by the ingest writer, pooled
/// read connections. One node only: SQLite cannot be shared by several servers.
/// </summary>
public sealed partial class SqliteStore : IDatabase, IApiKeyStore, IDeviceStore, IStatusStore, IEventBatchStore
{
    private readonly string _connectionString;
    private readonly string _busyTimeoutPragma;

    public SqliteStore(string connectionString)
    {
        // "Default Timeout" (seconds, 30 unless the connection string says otherwise) is also how long a command
        // waits on a database another process has locked before it fails, and the request gets 503.
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        _connectionString = builder.ToString();
        _busyTimeoutPragma = $"PRAGMA busy_timeout = {builder.DefaultTimeout * 1000}";
        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
    }

    public string Engine => "sqlite";

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        UseSqliteBusyWait(connection, _busyTimeoutPragma);
        return connection;
    }

    /// <summary>
    /// Lets SQLite itself wait for a lock (it retries after 1, 2, 5, 10… ms). Without it the driver retries a busy
    /// database every 150 ms, so any short write beside the ingest writer — a webhook's bookkeeping, a flush of
    /// last-seen times — could stall a commit for 150 ms.
    /// </summary>
    private static void UseSqliteBusyWait(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
    }

    public Task<System.Data.Common.DbConnection> OpenConnectionAsync(CancellationToken ct) => Task.FromResult<System.Data.Common.DbConnection>(Open());

    public Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return Task.FromResult(true);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    public Task<BootstrapOutcome> MigrateAsync(NewApiKey bootstrapKey, CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL");
        // IMMEDIATE takes the write lock up front, so two processes cannot migrate at once.
        using var tx = connection.BeginTransaction(deferred: false);
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        var current = Convert.ToInt32(Scalar(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"), null);
        for (var version = current + 1; version <= SqliteSchema.Migrations.Length; version++)
        {
            Execute(connection, tx, SqliteSchema.Migrations[version - 1]);
            Execute(connection, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)", ("$v", version), ("$t", Clock.NowMicros()));
        }

        var outcome = Bootstrap(connection, tx, bootstrapKey);
        tx.Commit();
        _nextEventId = Convert.ToInt64(Scalar(connection, null, "SELECT value FROM settings WHERE name = 'next_event_id'"), null);
        return Task.FromResult(outcome);
    }

    private static BootstrapOutcome Bootstrap(SqliteConnection connection, SqliteTransaction tx, NewApiKey bootstrapKey)
    {
        var existing = Scalar(connection, tx, "SELECT value FROM settings WHERE name = 'default_project_id'");
        if (existing is long projectId) return new BootstrapOutcome(projectId, false);

        var now = Clock.NowMicros();
        var orgId = (long)Scalar(connection, tx, "INSERT INTO orgs (name, created_at) VALUES ('default', $t) RETURNING id", ("$t", now))!;
        projectId = (long)Scalar(connection, tx, "INSERT INTO projects (org_id, name, created_at) VALUES ($o, 'default', $t) RETURNING id", ("$o", orgId), ("$t", now))!;
        Execute(connection, tx, "INSERT INTO settings (name, value) VALUES ('default_project_id', $p)", ("$p", projectId));
        InsertKey(connection, tx, bootstrapKey, now);
        return new BootstrapOutcome(projectId, true);
    }

    public Task LoadMetricsAsync(MetricDictionary metrics, CancellationToken ct)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name FROM metrics";
        using var reader = command.ExecuteReader();
        while (reader.Read()) metrics.Add(reader.GetInt32(0), reader.GetString(1));
        return Task.CompletedTask;
    }

    public Task<long> EnsureProjectAsync(string orgName, string projectName, CancellationToken ct)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        var now = Clock.NowMicros();
        Execute(connection, tx, "INSERT INTO orgs (name, created_at) VALUES ($n, $t) ON CONFLICT (name) DO NOTHING", ("$n", orgName), ("$t", now));
        var orgId = (long)Scalar(connection, tx, "SELECT id FROM orgs WHERE name = $n", ("$n", orgName))!;
        Execute(connection, tx, "INSERT INTO projects (org_id, name, created_at) VALUES ($o, $n, $t) ON CONFLICT (org_id, name) DO NOTHING",
            ("$o", orgId), ("$n", projectName), ("$t", now));
        var projectId = (long)Scalar(connection, tx, "SELECT id FROM projects WHERE org_id = $o AND name = $n", ("$o", orgId), ("$n", projectName))!;
        tx.Commit();
        return Task.FromResult(projectId);
    }

    public Task<long?> FindProjectAsync(string nameOrId, CancellationToken ct)
    {
        using var connection = Open();
        var id = long.TryParse(nameOrId, out var parsed)
            ? Scalar(connection, null, "SELECT id FROM projects WHERE id = $v", ("$v", parsed))
            : Scalar(connection, null, "SELECT MIN(id) FROM projects WHERE name = $v", ("$v", nameOrId));
        return Task.FromResult(id is long found ? found : (long?)null);
    }

    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Moves a time column forward (never back) to the given time, per row, in one transaction.</summary>
    private Task MoveTimesForward<TKey>(string table, string keyColumn, string timeColumn, IReadOnlyCollection<KeyValuePair<TKey, long>> times) where TKey : notnull
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        using var command = Command(connection, tx, $"UPDATE {table} SET {timeColumn} = MAX(COALESCE({timeColumn}, 0), $t) WHERE {keyColumn} = $k", [("$t", 0L), ("$k", 0L)]);
        foreach (var (key, micros) in times)
        {
            command.Parameters["$t"].Value = micros;
            command.Parameters["$k"].Value = key;
            command.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.CompletedTask;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, tx, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, tx, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }
}
