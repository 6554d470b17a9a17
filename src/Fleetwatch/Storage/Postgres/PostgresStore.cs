using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Status;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

/// <summary>The engine for several stateless nodes sharing one PostgreSQL.</summary>
public sealed partial class PostgresStore : IDatabase, IApiKeyStore, IDeviceStore, IStatusStore, IEventBatchStore, IChangeTransport
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly EventIdBlocks _idBlocks = new();

    public PostgresStore(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        _dataSource = builder.Build();
    }

    public string Engine => "postgresql";

    /// <summary>Names this process in its announcements, so it skips its own.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..12];

    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Whether this node wrote the event with this id (its ids come from blocks of its own).</summary>
    public bool WroteEvent(long id) => _idBlocks.IsOwn(id);

    public async Task<System.Data.Common.DbConnection> OpenConnectionAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    public async Task<BootstrapOutcome> MigrateAsync(NewApiKey bootstrapKey, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", ct, PostgresSchema.MigrationLockId);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct), null);
        for (var version = current + 1; version <= PostgresSchema.Migrations.Length; version++)
        {
            await ExecuteAsync(connection, PostgresSchema.Migrations[version - 1], ct);
            await ExecuteAsync(connection, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", ct, version, Clock.NowMicros());
        }

        BootstrapOutcome outcome;
        if (await ScalarAsync(connection, "SELECT value FROM settings WHERE name = 'default_project_id'", ct) is long projectId)
        {
            outcome = new BootstrapOutcome(projectId, false);
        }
        else
        {
            var now = Clock.NowMicros();
            var orgId = (long)(await ScalarAsync(connection, "INSERT INTO orgs (name, created_at) VALUES ('default', $1) RETURNING id", ct, now))!;
            projectId = (long)(await ScalarAsync(connection, "INSERT INTO projects (org_id, name, created_at) VALUES ($1, 'default', $2) RETURNING id", ct, orgId, now))!;
            await ExecuteAsync(connection, "INSERT INTO settings (name, value) VALUES ('default_project_id', $1)", ct, projectId);
            await InsertKeyAsync(connection, bootstrapKey, now, ct);
            outcome = new BootstrapOutcome(projectId, true);
        }
        await tx.CommitAsync(ct);
        return outcome;
    }

    public async Task LoadMetricsAsync(MetricDictionary metrics, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("SELECT id, name FROM metrics");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) metrics.Add(reader.GetInt32(0), reader.GetString(1));
    }

    public async Task<long> EnsureProjectAsync(string orgName, string projectName, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, "INSERT INTO orgs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", ct, orgName, Clock.NowMicros());
        var orgId = (long)(await ScalarAsync(connection, "SELECT id FROM orgs WHERE name = $1", ct, orgName))!;
        await ExecuteAsync(connection, "INSERT INTO projects (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, name) DO NOTHING",
            ct, orgId, projectName, Clock.NowMicros());
        return (long)(await ScalarAsync(connection, "SELECT id FROM projects WHERE org_id = $1 AND name = $2", ct, orgId, projectName))!;
    }

    public async Task<long?> FindProjectAsync(string nameOrId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var id = long.TryParse(nameOrId, out var parsed)
            ? await ScalarAsync(connection, "SELECT id FROM projects WHERE id = $1", ct, parsed)
            : await ScalarAsync(connection, "SELECT MIN(id) FROM projects WHERE name = $1", ct, nameOrId);
        return id as long?;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Moves a time column forward (never back) to the given time, per row, in one statement; rows locked in key order.</summary>
    private async Task MoveTimesForwardAsync<TKey>(string table, string keyColumn, string keyType, string timeColumn,
        IReadOnlyCollection<KeyValuePair<TKey, long>> times, CancellationToken ct) where TKey : notnull
    {
        var sorted = times.OrderBy(t => t.Key).ToArray();
        await using var command = _dataSource.CreateCommand($"""
            UPDATE {table} t SET {timeColumn} = GREATEST(COALESCE(t.{timeColumn}, 0), u.at)
            FROM unnest($1::{keyType}[], $2::bigint[]) AS u(k, at) WHERE t.{keyColumn} = u.k
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = sorted.Select(t => t.Key).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = sorted.Select(t => t.Value).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }
}
