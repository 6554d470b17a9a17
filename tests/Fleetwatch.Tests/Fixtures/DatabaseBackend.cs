using Npgsql;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>Makes a fresh, empty database for a server under test and says how to reach it (the --db value).</summary>
public abstract class DatabaseBackend
{
    public abstract string Name { get; }

    public abstract Task<string> CreateDatabaseAsync();
}

public sealed class SqliteBackend : DatabaseBackend
{
    public override string Name => "sqlite";

    public override Task<string> CreateDatabaseAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "fleetwatch-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return Task.FromResult(Path.Combine(directory, "fleetwatch.db"));
    }
}

/// <summary>
/// A new database per server on the PostgreSQL that the test script started (FLEETWATCH_TEST_PG), or, without the
/// variable, on a local one at <see cref="DefaultConnectionString"/> (so <c>dotnet test --filter X</c> works beside
/// any PostgreSQL). A missing server fails the tests: it is never a reason to skip them.
/// </summary>
public sealed class PostgresBackend : DatabaseBackend
{
    public const string Variable = "FLEETWATCH_TEST_PG";

    public override string Name => "postgresql";

    public const string DefaultConnectionString = "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : DefaultConnectionString;

    public override async Task<string> CreateDatabaseAsync()
    {
        var name = "fw_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
