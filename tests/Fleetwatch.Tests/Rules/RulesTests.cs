using System.Net;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Rules;

/// <summary>Rules, their k-of-n windows over every kind of reading, and the alerts they raise, on each backend.</summary>
public abstract class RulesTests(ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    protected static object Batch(string device, params double[] temperatures) => new
    {
        device_external_id = device,
        events = temperatures.Select((t, i) => new { ts = DateTime.UtcNow.AddSeconds(i - temperatures.Length).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"), data = new { temperature = t } }).ToArray(),
    };

    protected static async Task<JsonElement[]> AlertsAsync(HttpClient client, Tenant tenant, int atLeast, string query = "")
    {
        JsonElement[] alerts = [];
        for (var waited = 0; waited < 10_000; waited += 50)
        {
            alerts = [.. (await (await client.GetAsync($"/projects/{tenant.ProjectId}/alerts?limit=1000{query}", tenant.Key)).ReadJsonAsync()).EnumerateArray()];
            if (alerts.Length >= atLeast) break;
            await Task.Delay(50);
        }
        return alerts;
    }

    private async Task<JsonElement> RuleAsync(Tenant tenant, object rule)
    {
        var response = await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", rule, tenant.Key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task Alerts_AreFilteredByRuleId_AndDeviceId_AsTheContractNamesThem()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var hot = await RuleAsync(tenant, new { name = "hot", metric = "temperature", threshold = 80, cooldown_seconds = 0 });
        var warm = await RuleAsync(tenant, new { name = "warm", metric = "temperature", threshold = 60, cooldown_seconds = 0 });
        var boiler = await tenant.AddDeviceAsync(Server, "boiler");
        await tenant.AddDeviceAsync(Server, "kettle");
        await Client.PostJsonAsync("/telemetry", Batch("boiler", 90), tenant.Key);
        await Client.PostJsonAsync("/telemetry", Batch("kettle", 70), tenant.Key);
        Assert.Equal(3, (await AlertsAsync(Client, tenant, 3)).Length);

        // Each filter alone narrows the list (the query's names were once bound to the C# names and silently ignored).
        Assert.All(await AlertsAsync(Client, tenant, 1, $"&rule_id={hot.Long("id")}"), a => Assert.Equal(hot.Long("id"), a.Long("rule_id")));
        Assert.Single(await AlertsAsync(Client, tenant, 1, $"&rule_id={hot.Long("id")}"));
        Assert.Equal(2, (await AlertsAsync(Client, tenant, 2, $"&rule_id={warm.Long("id")}")).Length);
        var onBoiler = await AlertsAsync(Client, tenant, 2, $"&device_id={boiler}");
        Assert.Equal(2, onBoiler.Length);
        Assert.All(onBoiler, a => Assert.Equal(boiler, a.Long("device_id")));
    }

    [Fact]
    public async Task Rules_CreateListPatchDelete_WithTheContractsValidation()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var rule = await RuleAsync(tenant, new { name = "High temp", metric = "temperature", threshold = 80 });
        Assert.Equal(">", rule.Str("operator"));
        Assert.Equal(1, rule.Int("window_n"));
        Assert.Equal(1, rule.Int("required_k"));
        Assert.Equal(300, rule.Int("cooldown_seconds"));
        Assert.True(rule.Bool("enabled"));
        Assert.Equal("ALL", rule.Str("scope"));
        Assert.Equal("warning", rule.Str("severity"));

        Assert.Equal("required_k cannot be greater than window_n",
            (await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "x", metric = "t", threshold = 1, window_n = 2, required_k = 3 }, tenant.Key)).ProblemAsync(400)).Str("detail"));
        var invalid = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "x", metric = "t", threshold = "high", @operator = "==", scope = "TAG", severity = "loud" }, tenant.Key)).ProblemAsync(422);
        Assert.Equal(["operator", "threshold", "tag", "severity"], invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name));

        var id = rule.Long("id");
        var patched = await (await Client.SendJsonAsync(HttpMethod.Patch, $"/rules/{id}", new { enabled = false, severity = "critical" }, tenant.Key)).ReadJsonAsync();
        Assert.False(patched.Bool("enabled"));
        Assert.Equal("critical", patched.Str("severity"));
        Assert.Equal("High temp", patched.Str("name"));
        Assert.Single((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules", tenant.Key)).ReadJsonAsync()).EnumerateArray());
        Assert.Empty((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules/enabled", tenant.Key)).ReadJsonAsync()).EnumerateArray());

        var other = await Tenant.CreateAsync(Server);
        Assert.Equal("rule not found", (await (await Client.GetAsync($"/rules/{id}", other.Key)).ProblemAsync(404)).Str("detail"));
        Assert.Empty((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules", other.Key)).ReadJsonAsync()).EnumerateArray());
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/rules/{id}", tenant.Key)).StatusCode);
        await (await Client.GetAsync($"/rules/{id}", tenant.Key)).ProblemAsync(404);
    }

    [Fact]
    public async Task RuleLists_AreNewestIdFirst_AndATagOutsideTagScope_Is422NamingIt()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var ids = new List<long>();
        for (var i = 0; i < 3; i++) ids.Add((await RuleAsync(tenant, new { name = $"r{i}", metric = "t", threshold = i })).Long("id"));
        ids.Reverse();
        Assert.Equal(ids, (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules", tenant.Key)).ReadJsonAsync()).EnumerateArray().Select(r => r.Long("id")));
        Assert.Equal(ids, (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules/enabled", tenant.Key)).ReadJsonAsync()).EnumerateArray().Select(r => r.Long("id")));

        foreach (var scope in new[] { "ALL", "EXPLICIT" })
        {
            var problem = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "x", metric = "t", threshold = 1, scope, tag = "roof" }, tenant.Key)).ProblemAsync(422);
            Assert.Equal(["tag"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
            // A PATCH that would leave a tag on an ALL rule is refused the same way.
            await (await Client.SendJsonAsync(HttpMethod.Patch, $"/rules/{ids[0]}", new { scope, tag = "roof" }, tenant.Key)).ProblemAsync(422);
        }
        var tagged = await RuleAsync(tenant, new { name = "roof", metric = "t", threshold = 1, scope = "TAG", tag = "roof" });
        Assert.Equal("roof", tagged.Str("tag"));
        // Moving a TAG rule to ALL without naming a tag drops it.
        var moved = await (await Client.SendJsonAsync(HttpMethod.Patch, $"/rules/{tagged.Long("id")}", new { scope = "ALL" }, tenant.Key)).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, moved.GetProperty("tag").ValueKind);
        Assert.Equal(4, (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/rules", tenant.Key)).ReadJsonAsync()).GetArrayLength());
    }

    [Fact]
    public async Task FiveOfFive_FiresOnce_WithDetails_AndTheCooldownHolds()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "sensor-01");
        await RuleAsync(tenant, new { name = "High Temp", metric = "temperature", @operator = ">", threshold = 80, window_n = 5, required_k = 5, cooldown_seconds = 300, scope = "ALL" });

        await Client.PostJsonAsync("/telemetry", Batch("sensor-01", 95, 96, 97, 98), tenant.Key);
        await Task.Delay(300); // four readings: the window is not full, so nothing may fire
        Assert.Empty((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).EnumerateArray());
        await Client.PostJsonAsync("/telemetry", Batch("sensor-01", 99), tenant.Key);
        var alerts = await AlertsAsync(Client, tenant, 1);
        var alert = Assert.Single(alerts);
        Assert.Equal("open", alert.Str("state"));
        var evaluation = alert.GetProperty("details").GetProperty("evaluation");
        Assert.Equal(5, evaluation.Int("match_count"));
        Assert.Equal(5, evaluation.Int("considered"));
        Assert.Equal(99, evaluation.GetProperty("latest_value").GetDouble());
        Assert.Equal("High Temp", alert.GetProperty("details").GetProperty("rule").Str("name"));

        await Client.PostJsonAsync("/telemetry", Batch("sensor-01", 99, 99, 99, 99, 99), tenant.Key);
        await Task.Delay(500);
        Assert.Single(await AlertsAsync(Client, tenant, 2));

        var id = alert.Long("id");
        var acked = await (await Client.PostJsonAsync($"/alerts/{id}/ack", new { }, tenant.Key)).ReadJsonAsync();
        Assert.Equal("acknowledged", acked.Str("state"));
        var resolved = await (await Client.PostJsonAsync($"/alerts/{id}/resolve", new { }, tenant.Key)).ReadJsonAsync();
        Assert.Equal("resolved", resolved.Str("state"));
        Assert.NotEqual(JsonValueKind.Null, resolved.GetProperty("resolved_at").ValueKind);
        Assert.Single(await AlertsAsync(Client, tenant, 1, "&state=resolved"));
        var deviceAlerts = await (await Client.GetAsync($"/devices/{alert.Long("device_id")}/alerts", tenant.Key)).ReadJsonAsync();
        Assert.Equal(id, deviceAlerts[0].Long("id"));
    }

    [Fact]
    public async Task AutoResolve_ResolvesTheAlert_WhenTheWindowStopsBreaching()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "oven");
        await RuleAsync(tenant, new { name = "hot", metric = "temperature", threshold = 80, window_n = 2, required_k = 2, auto_resolve = true, severity = "critical" });
        await Client.PostJsonAsync("/telemetry", Batch("oven", 90, 95), tenant.Key);
        var alert = Assert.Single(await AlertsAsync(Client, tenant, 1));
        Assert.Equal("critical", alert.Str("severity"));
        await Client.PostJsonAsync("/telemetry", Batch("oven", 20), tenant.Key);
        JsonElement[] resolved = [];
        for (var i = 0; i < 100 && resolved.Length == 0; i++)
        {
            resolved = await AlertsAsync(Client, tenant, 0, "&state=resolved");
            await Task.Delay(50);
        }
        Assert.Equal(alert.Long("id"), Assert.Single(resolved).Long("id"));
    }

    /// <summary>
    /// A batch is judged on the window that ends at its own newest reading, even when later readings are known —
    /// the case of a late delivery, and of two nodes whose batches reach each other's evaluators out of order.
    /// </summary>
    [Fact]
    public async Task LateReadings_AreJudgedOnTheWindowEndingAtThem()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "late-1");
        var rule = await RuleAsync(tenant, new { name = "two hot", metric = "temperature", threshold = 50, window_n = 2, required_k = 2, cooldown_seconds = 0 });
        var start = DateTime.UtcNow.AddMinutes(-10);
        object Reading(int second, double temperature) => new { device_external_id = "late-1", events = new[] { new { ts = start.AddSeconds(second).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), data = new { temperature } } } };

        foreach (var (second, temperature) in new[] { (10, 80.0), (20, 10.0), (30, 10.0), (40, 10.0) })
            Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", Reading(second, temperature), tenant.Key)).StatusCode);
        // Late, and older than the kept window: its window (10 s and 15 s) comes from the store, and breaches.
        await Client.PostJsonAsync("/telemetry", Reading(15, 90), tenant.Key);
        var alert = Assert.Single(await AlertsAsync(Client, tenant, 1));
        var evaluation = alert.GetProperty("details").GetProperty("evaluation");
        Assert.Equal(90, evaluation.GetProperty("latest_value").GetDouble());
        Assert.Equal(start.AddSeconds(15).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), evaluation.Str("latest_ts"));
        Assert.Equal(2, evaluation.Int("match_count"));

        // Late but calm (its window is 15 s and 17 s: one breach of two), then a breaching pair at the front.
        await Client.PostJsonAsync("/telemetry", Reading(17, 20), tenant.Key);
        await Client.PostJsonAsync("/telemetry", Reading(50, 70), tenant.Key);
        await Client.PostJsonAsync("/telemetry", Reading(60, 75), tenant.Key);
        var alerts = await AlertsAsync(Client, tenant, 2);
        await Task.Delay(300);
        alerts = await AlertsAsync(Client, tenant, 2);
        Assert.Equal([75.0, 90.0], alerts.Select(a => a.GetProperty("details").GetProperty("evaluation").GetProperty("latest_value").GetDouble()));
        Assert.All(alerts, a => Assert.Equal(rule.Long("id"), a.Long("rule_id")));
    }

    [Fact]
    public async Task StatusesAndUploadTimes_AreReadings_HeartbeatsTakeNoSlot_AndScopesSelectDevices()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "cam-1", "north");
        await tenant.AddDeviceAsync(Server, "cam-2");
        var lowBattery = await RuleAsync(tenant, new { name = "Low battery", metric = "battery_level", @operator = "<", threshold = 20, window_n = 2, required_k = 2, cooldown_seconds = 0, scope = "TAG", tag = "north" });
        var slowUpload = await RuleAsync(tenant, new { name = "Slow upload", metric = "upload_time", threshold = 300_000_000_000L, cooldown_seconds = 0, scope = "EXPLICIT" });
        var cam2 = (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync()).EnumerateArray().Single(d => d.Str("external_id") == "cam-2").Long("id");
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync($"/rules/{slowUpload.Long("id")}/devices", new { device_ids = new[] { cam2 } }, tenant.Key)).StatusCode);
        Assert.Equal("device not found: 999999999", (await (await Client.PostJsonAsync($"/rules/{slowUpload.Long("id")}/devices", new { device_ids = new[] { 999_999_999L } }, tenant.Key)).ProblemAsync(404)).Str("detail"));

        var now = DateTime.UtcNow;
        string At(int seconds) => now.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        foreach (var device in new[] { "cam-1", "cam-2" })
        {
            await Client.PostJsonAsync("/status", new { device_id = device, timestamp = At(-3), battery_level = 15, rssi = -60, online = true }, tenant.Key);
            // Minute heartbeats between the two statuses carry no values: they do not push the first out of the window.
            await Client.PostJsonAsync($"/api/v1/devices/{device}/heartbeat", new { sent_at = At(-2) }, tenant.Key);
            await Client.PostJsonAsync("/status", new { device_id = device, timestamp = At(-1), battery_level = 12, rssi = -60, online = true }, tenant.Key);
            await Client.PostJsonAsync($"/api/v1/devices/{device}/stats", new { sent_at = At(0), upload_time = 400_000_000_000L }, tenant.Key);
        }
        var alerts = await AlertsAsync(Client, tenant, 2);
        await Task.Delay(300);
        alerts = await AlertsAsync(Client, tenant, 2);
        Assert.Equal(2, alerts.Length);
        var battery = alerts.Single(a => a.Long("rule_id") == lowBattery.Long("id"));
        Assert.Equal(2, battery.GetProperty("details").GetProperty("evaluation").Int("match_count"));
        Assert.NotEqual(cam2, battery.Long("device_id"));
        Assert.Equal(cam2, alerts.Single(a => a.Long("rule_id") == slowUpload.Long("id")).Long("device_id"));
    }
}

public sealed class SqliteRulesTests(SqliteServerFixture fixture) : RulesTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresRulesTests(PostgresServerFixture fixture) : RulesTests(fixture), IClassFixture<PostgresServerFixture>
{
    /// <summary>Two nodes evaluate every batch; one alert per firing reaches the database, whichever node raises it.</summary>
    [Fact]
    public async Task TwoNodes_RaiseExactlyOneAlertPerFiring()
    {
        await using var other = await TestServer.StartAsync(fixture.Server.Database);
        var tenant = await Tenant.CreateAsync(fixture.Server);
        await tenant.AddDeviceAsync(fixture.Server, "shared");
        await fixture.Server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "hot", metric = "temperature", threshold = 50, cooldown_seconds = 0 }, tenant.Key);
        await Task.Delay(500); // the rule reaches the other node through NOTIFY

        var start = DateTime.UtcNow.AddMinutes(-1);
        for (var i = 0; i < 20; i++)
        {
            var node = i % 2 == 0 ? fixture.Server : other;
            var batch = new { device_external_id = "shared", events = new[] { new { ts = start.AddSeconds(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), data = new { temperature = 60 + i } } } };
            Assert.Equal(HttpStatusCode.Accepted, (await node.Client.PostJsonAsync("/telemetry", batch, tenant.Key)).StatusCode);
        }
        var alerts = await AlertsAsync(fixture.Server.Client, tenant, 20);
        await Task.Delay(1000);
        alerts = await AlertsAsync(fixture.Server.Client, tenant, 20);
        Assert.Equal(20, alerts.Length);
        Assert.Equal(20, alerts.Select(a => a.GetProperty("details").GetProperty("evaluation").GetProperty("latest_value").GetDouble()).Distinct().Count());
    }
}
