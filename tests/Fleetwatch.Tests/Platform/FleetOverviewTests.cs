using System.Net;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Platform;

/// <summary>
/// <c>GET /projects/{id}/fleet</c>: every registered device with its latest status, uptime and open alerts;
/// the project's counts; search, state and tag filters, sorting and pages done by the server.
/// </summary>
public abstract class FleetOverviewTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task TheFleet_ListsEveryDevice_WithCountsFiltersSortingAndPages()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "flat", metric = "battery_level", @operator = "<", threshold = 20, cooldown_seconds = 0 }, tenant.Key);
        var now = DateTime.UtcNow;
        string At(int secondsAgo) => now.AddSeconds(-secondsAgo).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        foreach (var (device, battery, online) in new[] { ("d-1", 80, true), ("d-2", 10, true), ("d-3", 60, false) })
            Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", new { device_id = device, timestamp = At(5), battery_level = battery, rssi = -60, online }, tenant.Key)).StatusCode);
        foreach (var secondsAgo in new[] { 120, 60 })
            Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync("/api/v1/devices/d-1/heartbeat", new { sent_at = At(secondsAgo) }, tenant.Key)).StatusCode);
        await tenant.AddDeviceAsync(Server, "d-4", "roof");
        var devices = (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync()).EnumerateArray().ToList();
        var d3 = devices.Single(d => d.Str("external_id") == "d-3").Long("id");
        await Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/devices/{d3}/tags", new { tags = new[] { "roof" } }, tenant.Key);

        async Task<JsonElement> Fleet(string query = "") => await (await Client.GetAsync($"/projects/{tenant.ProjectId}/fleet?{query}", tenant.Key)).ReadJsonAsync();
        static string[] Ids(JsonElement page) => [.. page.GetProperty("devices").EnumerateArray().Select(d => d.Str("device_id"))];

        var all = await Fleet();
        for (var waited = 0; waited < 5000 && all.GetProperty("devices")[1].Long("open_alerts") == 0; waited += 50)
        {
            await Task.Delay(50); // the alert is raised off the request path
            all = await Fleet();
        }
        var counts = all.GetProperty("counts");
        Assert.Equal((4, 2, 1, 1, 1), (counts.Int("total"), counts.Int("online"), counts.Int("offline"), counts.Int("at_risk"), counts.Int("no_status")));
        Assert.Equal(4, all.Int("matched"));
        Assert.Equal(["roof"], all.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["d-1", "d-2", "d-3", "d-4"], Ids(all));
        var (d1, d2, d4) = (all.GetProperty("devices")[0], all.GetProperty("devices")[1], all.GetProperty("devices")[3]);
        Assert.Equal(200.0, d1.GetProperty("uptime").GetDouble()); // the fleet API's formula: 2 distinct minutes over a span of 1
        Assert.Equal(80, d1.Int("battery_level"));
        Assert.Equal(At(5), d1.Str("last_status"));
        Assert.NotEqual(JsonValueKind.Null, d1.GetProperty("last_seen").ValueKind);
        Assert.Equal(1, d2.Long("open_alerts"));
        Assert.Equal(["battery below 20%"], d2.GetProperty("at_risk").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(JsonValueKind.Null, d4.GetProperty("online").ValueKind);
        Assert.Equal(JsonValueKind.Null, d4.GetProperty("uptime").ValueKind);
        Assert.Equal(["roof"], d4.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        Assert.Equal(["d-3"], Ids(await Fleet("state=offline")));
        Assert.Equal(["d-2"], Ids(await Fleet("state=at-risk")));
        Assert.Equal(["d-4"], Ids(await Fleet("state=no-status")));
        Assert.Equal(["d-3", "d-4"], Ids(await Fleet("tag=roof")));
        Assert.Equal(["d-2"], Ids(await Fleet("search=D-2")));
        Assert.Equal(["d-1", "d-3", "d-2", "d-4"], Ids(await Fleet("sort=battery_level&order=desc"))); // no status goes last
        Assert.Equal(["d-2", "d-1", "d-3", "d-4"], Ids(await Fleet("sort=open_alerts&order=desc")));
        var page = await Fleet("limit=2&offset=1");
        Assert.Equal(["d-2", "d-3"], Ids(page));
        Assert.Equal((4, 1, 2), (page.Int("matched"), page.Int("offset"), page.Int("limit")));

        var invalid = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/fleet?state=asleep&limit=0&sort=colour", tenant.Key)).ProblemAsync(422);
        Assert.Equal(["state", "sort", "limit"], invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var other = await Tenant.CreateAsync(Server);
        Assert.Equal("project not found", (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/fleet", other.Key)).ProblemAsync(404)).Str("detail"));
    }
}

public sealed class SqliteFleetOverviewTests(SqliteServerFixture fixture) : FleetOverviewTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresFleetOverviewTests(PostgresServerFixture fixture) : FleetOverviewTests(fixture), IClassFixture<PostgresServerFixture>;
