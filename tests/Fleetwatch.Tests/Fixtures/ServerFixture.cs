namespace Fleetwatch.Tests.Fixtures;

/// <summary>One server per test class and backend; each test makes its own project, so tests never share rows.</summary>
public abstract class ServerFixture(DatabaseBackend backend) : IAsyncLifetime
{
    public DatabaseBackend Backend { get; } = backend;
    public TestServer Server { get; private set; } = null!;

    protected virtual string[] Settings => ["--Auth:CacheSeconds", "0"];

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(await Backend.CreateDatabaseAsync(), Settings);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class SqliteServerFixture() : ServerFixture(new SqliteBackend());

public sealed class PostgresServerFixture() : ServerFixture(new PostgresBackend());
