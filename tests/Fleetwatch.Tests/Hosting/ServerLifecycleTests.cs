using System.Net;
using Fleetwatch.Auth;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>Restarts, concurrent starts and the framework's own errors, on each backend.</summary>
public abstract class ServerLifecycleTests(DatabaseBackend backend)
{
    [Fact]
    public async Task DataAndKeysSurviveARestart()
    {
        var database = await backend.CreateDatabaseAsync();
        string key;
        await using (var first = await TestServer.StartAsync(database))
        {
            (_, key) = await first.NewProjectKeyAsync(KeyRole.Admin);
            for (var i = 0; i < 3; i++)
            {
                var response = await first.Client.PostJsonAsync("/status",
                    new { device_id = "keep", timestamp = $"2024-06-14T10:0{i}:00Z", battery_level = 70 + i, rssi = -40, online = true }, key);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }
        }

        await using var second = await TestServer.StartAsync(database);
        var latest = await (await second.Client.GetAsync("/status/keep", key)).ReadJsonAsync();
        Assert.Equal(72, latest.Int("battery_level"));
        Assert.Equal(3, (await (await second.Client.GetAsync("/status/keep/history", key)).ReadJsonAsync()).Int("total_records"));
        Assert.Equal(1, (await (await second.Client.GetAsync("/status/summary", key)).ReadJsonAsync()).Int("total_devices"));

        // New events continue the id sequence instead of reusing ids.
        var next = await (await second.Client.PostJsonAsync("/status",
            new { device_id = "keep", timestamp = "2024-06-14T11:00:00Z", battery_level = 1, rssi = -40, online = true }, key)).ReadJsonAsync();
        Assert.True(next.Long("id") > latest.Long("id"));
    }

    [Fact]
    public async Task LastSeenAndLastUsedTimes_AreWrittenAtShutdown_AndSurviveARestart()
    {
        var database = await backend.CreateDatabaseAsync();
        string lastSeen, lastUsed;
        Tenant tenant;
        await using (var first = await TestServer.StartAsync(database))
        {
            tenant = await Tenant.CreateAsync(first);
            await first.Client.PostJsonAsync("/api/v1/devices", new { device_id = "seen-1" }, TestServer.AdminKey);
            await first.Client.PostJsonAsync("/api/v1/ingest", new { device_id = "seen-1", temperature = 20 }, TestServer.AdminKey);
            lastSeen = (await (await first.Client.GetAsync("/api/v1/devices/seen-1", key: null)).ReadJsonAsync()).GetProperty("data").Str("last_seen_at");
            lastUsed = (await (await first.Client.GetAsync($"/projects/{tenant.ProjectId}/api-keys", tenant.Key)).ReadJsonAsync())[0].Str("last_used_at");
        }

        await using var second = await TestServer.StartAsync(database);
        Assert.Equal(lastSeen, (await (await second.Client.GetAsync("/api/v1/devices/seen-1", key: null)).ReadJsonAsync()).GetProperty("data").Str("last_seen_at"));
        // Read with a key other than the tenant's own, which would record a new use on this node.
        var keys = await (await second.Client.GetAsync($"/projects/{tenant.ProjectId}/api-keys", TestServer.AdminKey)).ReadJsonAsync();
        Assert.Equal(lastUsed[..19], keys[0].Str("last_used_at")[..19]);
    }

    /// <summary>A status posted to one node is the latest on every node (SQLite has one node: the test runs on PostgreSQL).</summary>
    protected static async Task AssertLatestPropagatesAsync(TestServer a, TestServer b, string key)
    {
        var response = await a.Client.PostJsonAsync("/status",
            new { device_id = "across", timestamp = "2024-06-14T10:00:00Z", battery_level = 33, rssi = 0, online = true }, key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        for (var i = 0; i < 100; i++)
        {
            var latest = await b.Client.GetAsync("/status/across", key);
            if (latest.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(33, (await latest.ReadJsonAsync()).Int("battery_level"));
                var summary = await (await b.Client.GetAsync("/status/summary", key)).ReadJsonAsync();
                Assert.Equal(1, summary.Int("total_devices"));
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail("Node B never saw the status posted to node A");
    }

    [Fact]
    public async Task Health_NeedsNoKey_AndReportsTheDatabase()
    {
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync());
        var response = await server.Client.GetAsync("/health", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("ok", body.Str("status"));
        Assert.Equal("connected", body.Str("database"));
        Assert.Equal(backend.Name, body.Str("engine"));
        Assert.False(string.IsNullOrEmpty(body.Str("version")));
        Assert.EndsWith("Z", body.Str("timestamp"));
        Assert.Equal("ok", (await (await server.Client.GetAsync("/health/db", key: null)).ReadJsonAsync()).Str("db"));
    }

    [Fact]
    public async Task UnknownRoutesAndWrongMethods_AreProblems_EvenWhenTextIsAskedFor()
    {
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync());
        var notFound = new HttpRequestMessage(HttpMethod.Get, "/no/such/thing");
        notFound.Headers.Accept.ParseAdd("text/plain");
        var problem = await (await server.Client.SendAsync(notFound)).ProblemAsync(404);
        Assert.Contains("/no/such/thing", problem.Str("detail"));

        var wrongMethod = new HttpRequestMessage(HttpMethod.Delete, "/status/summary").WithKey(TestServer.AdminKey);
        problem = await (await server.Client.SendAsync(wrongMethod)).ProblemAsync(405);
        Assert.Contains("DELETE", problem.Str("detail"));
    }

    [Fact]
    public async Task EveryResponseCarriesARequestId_ThatProblemsRepeat()
    {
        await using var server = await TestServer.StartAsync(await backend.CreateDatabaseAsync());
        var response = await server.Client.GetAsync("/status/x", key: null);
        var problem = await response.ProblemAsync(401);
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), problem.Str("request_id"));
    }
}

public sealed class SqliteServerLifecycleTests() : ServerLifecycleTests(new SqliteBackend())
{
    /// <summary>SQLite has one writer: a second server on the same file is refused, and the file serves again once the first is gone.</summary>
    [Fact]
    public async Task ASecondServerOnTheSameFile_IsRefused_UntilTheFirstStops()
    {
        var database = await new SqliteBackend().CreateDatabaseAsync();
        await using (var first = await TestServer.StartAsync(database))
        {
            var refused = await Assert.ThrowsAsync<Fleetwatch.Hosting.StartupFailure>(() => TestServer.StartAsync(database));
            Assert.Equal(3, refused.ExitCode);
            Assert.Contains($"is in use by another Fleetwatch server (process {Environment.ProcessId})", refused.Message);
        }
        await using var second = await TestServer.StartAsync(database);
        Assert.Equal("ok", (await (await second.Client.GetAsync("/health", key: null)).ReadJsonAsync()).Str("status"));
    }
}

public sealed class PostgresServerLifecycleTests() : ServerLifecycleTests(new PostgresBackend())
{
    [Fact]
    public async Task TwoNodesStartingAtOnce_MigrateOnce()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        var starts = await Task.WhenAll(TestServer.StartAsync(database), TestServer.StartAsync(database));
        await using var a = starts[0];
        await using var b = starts[1];
        var (_, key) = await a.NewProjectKeyAsync();
        Assert.Equal("ok", (await (await b.Client.GetAsync("/health", key: null)).ReadJsonAsync()).Str("status"));
        Assert.Equal(HttpStatusCode.Created, (await a.Client.PostJsonAsync("/status",
            new { device_id = "n", timestamp = "2024-06-14T10:00:00Z", battery_level = 5, rssi = 0, online = true }, key)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await b.Client.PostJsonAsync("/status",
            new { device_id = "n", timestamp = "2024-06-14T09:00:00Z", battery_level = 6, rssi = 0, online = true }, key)).StatusCode);
        var history = await (await a.Client.GetAsync("/status/n/history", key)).ReadJsonAsync();
        Assert.Equal(2, history.Int("total_records"));
    }

    [Fact]
    public async Task AStatusPostedToOneNode_IsTheLatestOnTheOther()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database);
        await using var b = await TestServer.StartAsync(database);
        var (_, key) = await a.NewProjectKeyAsync();
        await AssertLatestPropagatesAsync(a, b, key);
    }

    [Fact]
    public async Task Health_Is503Degraded_WhenTheDatabaseIsGone()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var server = await TestServer.StartAsync(database);
        await PostgresBackend.DropDatabaseAsync(database);

        var response = await server.Client.GetAsync("/health", key: null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("degraded", body.Str("status"));
        Assert.Equal("disconnected", body.Str("database"));
        var db = await server.Client.GetAsync("/health/db", key: null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, db.StatusCode);
        Assert.Equal("unavailable", (await db.ReadJsonAsync()).Str("db"));
    }

    [Fact]
    public async Task AWriteTheDatabaseRefuses_Is503AndNotAcknowledged()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var server = await TestServer.StartAsync(database);
        await PostgresBackend.DropDatabaseAsync(database);

        var response = await server.Client.PostJsonAsync("/status",
            new { device_id = "lost", timestamp = "2024-06-14T10:00:00Z", battery_level = 5, rssi = 0, online = true }, TestServer.AdminKey);
        var problem = await response.ProblemAsync(503);
        Assert.Contains("nothing was stored", problem.Str("detail"));
        Assert.True(response.Headers.Contains("Retry-After"));
    }
}
