using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Platform;

/// <summary>
/// Two servers on one PostgreSQL, with a key cache far longer than the test: what one node changes
/// (a revoked key, a device made, re-tagged or deleted) reaches the other through NOTIFY, not through expiry.
/// </summary>
public sealed class CrossNodeTests
{
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var waited = 0; waited < 5000; waited += 50)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Within 5 s: {what}");
    }

    [Fact]
    public async Task RevocationAndDeviceChanges_ReachTheOtherNode_AtOnce()
    {
        var backend = new PostgresBackend();
        var database = await backend.CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database, "--Auth:CacheSeconds", "600");
        await using var b = await TestServer.StartAsync(database, "--Auth:CacheSeconds", "600");
        var tenant = await Tenant.CreateAsync(a);
        var reader = (await (await a.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "read" }, tenant.Key)).ReadJsonAsync()).Str("api_key");

        var device = await tenant.AddDeviceAsync(a, "shared-1", "blue");
        await EventuallyAsync(async () => (await b.Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{device}", reader)).StatusCode == HttpStatusCode.OK,
            "node B knows the device made on node A");

        await a.Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/devices/{device}/tags", new { tags = new[] { "red" } }, tenant.Key);
        await EventuallyAsync(async () => (await (await b.Client.GetAsync($"/projects/{tenant.ProjectId}/devices?tag=red", reader)).ReadJsonAsync()).GetArrayLength() == 1,
            "node B sees the new tag");

        // Telemetry posted on B for a device made on A, read on A.
        Assert.Equal(HttpStatusCode.Accepted, (await b.Client.PostJsonAsync("/telemetry",
            new { device_external_id = "shared-1", events = new[] { new { ts = 1, data = new { t = 1 } } } }, tenant.Key)).StatusCode);
        Assert.Equal(1, (await (await a.Client.GetAsync($"/telemetry/devices/{device}/telemetry", reader)).ReadJsonAsync()).GetArrayLength());

        await a.Client.DeleteAsync($"/projects/{tenant.ProjectId}/devices/{device}", tenant.Key);
        await EventuallyAsync(async () => (await b.Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{device}", reader)).StatusCode == HttpStatusCode.NotFound,
            "node B forgets the deleted device");

        // B has the read key cached for ten minutes; the revocation on A must still stop it on B.
        Assert.Equal(HttpStatusCode.OK, (await b.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", reader)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.DeleteAsync($"/projects/{tenant.ProjectId}/api-keys/{reader[..8]}", tenant.Key)).StatusCode);
        await EventuallyAsync(async () => (await b.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", reader)).StatusCode == HttpStatusCode.Forbidden,
            "node B refuses the key revoked on node A");
    }

    /// <summary>
    /// Events another node commits while this node's notification connection is down are read from the table when it
    /// listens again, once each: the fleet figures (kept only in memory) match on both nodes afterwards.
    /// </summary>
    [Fact]
    public async Task EventsCommittedWhileANodeWasNotListening_AreReadBackOnce()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database);
        await using var b = await TestServer.StartAsync(database);
        var tenant = await Tenant.CreateAsync(a);
        await tenant.AddDeviceAsync(a, "hb-1");
        var start = DateTime.UtcNow.AddHours(-1);
        async Task BeatAsync(int minute) => Assert.Equal(HttpStatusCode.NoContent, (await a.Client.PostJsonAsync("/api/v1/devices/hb-1/heartbeat",
            new { sent_at = start.AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") }, tenant.Key)).StatusCode);
        async Task<string> StatsAsync(TestServer node) => await (await node.Client.GetAsync("/api/v1/devices/hb-1/stats", tenant.Key)).Content.ReadAsStringAsync();

        await BeatAsync(0);
        await BeatAsync(1);
        var before = await StatsAsync(a);
        await EventuallyAsync(async () => await StatsAsync(b) == before, "node B has node A's first heartbeats");

        await using (var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{Fleetwatch.Storage.Postgres.PostgresEventFeed.ApplicationName}'", admin);
            await kill.ExecuteNonQueryAsync();
        }
        // Nodes wait a second before listening again: these are committed while nobody listens.
        foreach (var minute in new[] { 2, 5, 9, 9 }) await BeatAsync(minute);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.PostJsonAsync("/api/v1/devices/hb-1/stats",
            new { sent_at = start.AddMinutes(9).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), upload_time = 2_000_000_000L }, tenant.Key)).StatusCode);
        var after = await StatsAsync(a);
        Assert.NotEqual(before, after);
        await EventuallyAsync(async () => await StatsAsync(b) == after, $"node B caught up with node A's {after}");

        // And announcements flow again afterwards, without applying anything twice: both nodes counted 7 heartbeats.
        await BeatAsync(12);
        var last = await StatsAsync(a);
        await EventuallyAsync(async () => await StatsAsync(b) == last, $"node B follows node A again: {last}");
        async Task<string?> HeartbeatsAsync(TestServer node) => System.Text.RegularExpressions.Regex.Match(await Metrics.MetricsTests.ScrapeAsync(node),
            $"^heartbeat_count_total\\{{project=\"{tenant.ProjectId}\"\\}} (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal("7", await HeartbeatsAsync(a));
        await EventuallyAsync(async () => await HeartbeatsAsync(b) == "7", "node B counted each of node A's heartbeats once");
    }
}
