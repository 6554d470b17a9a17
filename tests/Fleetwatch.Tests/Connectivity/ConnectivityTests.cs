using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Connectivity;

/// <summary>
/// Connectivity: active while the server hears from a device within its timeout, recorded as events when it changes,
/// shown beside the device's own reported state, and alerted on by inactivity rules — on each engine.
/// </summary>
public abstract class ConnectivityTests(DatabaseBackend backend, ServerFixture fixture)
{
    /// <summary>Deadlines looked at ten times a second, so a 1-second timeout is seen within a test's patience.</summary>
    public static readonly string[] FastChecks = ["--Auth:CacheSeconds", "0", "--Connectivity:CheckIntervalMs", "100"];

    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    protected static object Status(string device, bool online = true) =>
        new { device_id = device, timestamp = DateTime.UtcNow.AddMinutes(-45).ToString("O"), battery_level = 80, rssi = -60, online };

    protected static async Task<Tenant> TenantWithTimeoutAsync(TestServer server, int seconds)
    {
        var tenant = await Tenant.CreateAsync(server);
        var response = await server.Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/connectivity", new { inactivity_timeout_seconds = seconds }, tenant.Key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return tenant;
    }

    protected static async Task<JsonElement> ConnectivityAsync(TestServer server, Tenant tenant, long deviceId) =>
        await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{deviceId}/connectivity", tenant.Key)).ReadJsonAsync();

    protected static async Task<JsonElement[]> TransitionsAsync(TestServer server, Tenant tenant, long deviceId) =>
        [.. (await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{deviceId}/connectivity/history", tenant.Key)).ReadJsonAsync())
            .GetProperty("transitions").EnumerateArray()];

    /// <summary>Polls until the device's recorded transitions number <paramref name="count"/>, newest first.</summary>
    protected static async Task<JsonElement[]> WaitForTransitionsAsync(TestServer server, Tenant tenant, long deviceId, int count, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        JsonElement[] transitions;
        do
        {
            transitions = await TransitionsAsync(server, tenant, deviceId);
            if (transitions.Length >= count) break;
            await Task.Delay(50);
        }
        while (clock.ElapsedMilliseconds < timeoutMs);
        return transitions;
    }

    [Fact]
    public async Task ASilentDevice_IsRecordedInactiveWithinTimeoutPlusFiveSeconds_AndActiveWhenItReturns()
    {
        var tenant = await TenantWithTimeoutAsync(Server, 1);
        var deviceId = await tenant.AddDeviceAsync(Server, "pump");
        await using var stream = await LiveStream.ConnectAsync(Server, "/api/v1/realtime/subscribe/pump", tenant.Key);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        var before = await ConnectivityAsync(Server, tenant, deviceId);
        Assert.Equal("inactive", before.Str("state"));
        Assert.Equal(JsonValueKind.Null, before.GetProperty("last_seen_at").ValueKind);

        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status", Status("pump"), tenant.Key)).StatusCode);
        var sent = DateTime.UtcNow;
        var now = await ConnectivityAsync(Server, tenant, deviceId);
        Assert.Equal("active", now.Str("state"));
        Assert.Equal(1, now.Int("inactivity_timeout_seconds"));
        Assert.Equal("project", now.Str("timeout_from"));
        // last_seen_at is the server's receive time; the device's own (45 minutes old) timestamp is device_time.
        Assert.True(Math.Abs((DateTime.Parse(now.Str("last_seen_at")).ToUniversalTime() - sent).TotalSeconds) < 5);
        Assert.True((sent - DateTime.Parse(now.Str("device_time")).ToUniversalTime()).TotalMinutes > 40);

        var transitions = await WaitForTransitionsAsync(Server, tenant, deviceId, 2);
        var detected = DateTime.UtcNow;
        Assert.Equal(["inactive", "active"], transitions.Select(t => t.Str("state")));
        Assert.True((detected - sent).TotalSeconds < 1 + 5, $"detected after {(detected - sent).TotalSeconds:F1} s");
        Assert.Equal("first data received", transitions[1].Str("reason"));
        Assert.Equal("nothing received for 1 s", transitions[0].Str("reason"));
        // Recorded as of the deadline: one timeout after the last receive time.
        var inactiveSince = DateTime.Parse(transitions[0].Str("since")).ToUniversalTime();
        var lastSeen = DateTime.Parse(now.Str("last_seen_at")).ToUniversalTime();
        Assert.Equal(1.0, (inactiveSince - lastSeen).TotalSeconds, 3);
        Assert.Equal("inactive", (await ConnectivityAsync(Server, tenant, deviceId)).Str("state"));

        // Any API counts as hearing from the device: a telemetry batch brings it back.
        await Client.PostJsonAsync("/telemetry", new { device_external_id = "pump", events = new[] { new { ts = 1, data = new { flow = 2.5 } } } }, tenant.Key);
        Assert.Equal("active", (await ConnectivityAsync(Server, tenant, deviceId)).Str("state"));
        transitions = await WaitForTransitionsAsync(Server, tenant, deviceId, 3);
        Assert.Equal("active", transitions[0].Str("state"));
        Assert.Equal("data received again", transitions[0].Str("reason"));

        // The live stream carries the transitions among the readings.
        var frames = new List<JsonElement>();
        while (frames.Count(f => f.Str("type") == "connectivity") < 3) frames.Add(await stream.ReceiveAsync());
        var changes = frames.Where(f => f.Str("type") == "connectivity").ToList();
        Assert.Equal(["active", "inactive", "active"], changes.Select(f => f.Str("state")));
        Assert.All(changes, f => Assert.Equal("pump", f.Str("device_id")));
        Assert.Equal(2, frames.Count(f => f.Str("type") == "reading"));
    }

    [Fact]
    public async Task Timeouts_AreSetPerProjectAndPerDevice_AndRefusedWithTheFieldNamed()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var deviceId = await tenant.AddDeviceAsync(Server, "gate");
        var project = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/connectivity", tenant.Key)).ReadJsonAsync();
        Assert.Equal(300, project.Int("inactivity_timeout_seconds"));
        Assert.True(project.Bool("timeout_is_default"));
        Assert.Equal(0, project.Int("active"));
        Assert.Equal(1, project.Int("inactive"));

        var url = $"/projects/{tenant.ProjectId}/connectivity";
        foreach (var body in new object[] { new { inactivity_timeout_seconds = 0 }, new { inactivity_timeout_seconds = 86_401 }, new { inactivity_timeout_seconds = "60" }, new { } })
        {
            var problem = await (await Client.SendJsonAsync(HttpMethod.Patch, url, body, tenant.Key)).ProblemAsync(422);
            Assert.True(problem.GetProperty("errors").TryGetProperty("inactivity_timeout_seconds", out _));
        }
        var set = await (await Client.SendJsonAsync(HttpMethod.Patch, url, new { inactivity_timeout_seconds = 60 }, tenant.Key)).ReadJsonAsync();
        Assert.Equal(60, set.Int("inactivity_timeout_seconds"));
        Assert.False(set.Bool("timeout_is_default"));

        var deviceUrl = $"/projects/{tenant.ProjectId}/devices/{deviceId}/connectivity";
        Assert.Equal("project", (await (await Client.GetAsync(deviceUrl, tenant.Key)).ReadJsonAsync()).Str("timeout_from"));
        var own = await (await Client.SendJsonAsync(HttpMethod.Patch, deviceUrl, new { inactivity_timeout_seconds = 5 }, tenant.Key)).ReadJsonAsync();
        Assert.Equal(5, own.Int("inactivity_timeout_seconds"));
        Assert.Equal("device", own.Str("timeout_from"));
        var back = await (await Client.SendJsonAsync(HttpMethod.Patch, deviceUrl, new { inactivity_timeout_seconds = (int?)null }, tenant.Key)).ReadJsonAsync();
        Assert.Equal(60, back.Int("inactivity_timeout_seconds"));
        await Client.SendJsonAsync(HttpMethod.Patch, url, new { inactivity_timeout_seconds = (int?)null }, tenant.Key);
        Assert.Equal("server", (await (await Client.GetAsync(deviceUrl, tenant.Key)).ReadJsonAsync()).Str("timeout_from"));

        // Another project's key sees none of it; a read key may look but not change.
        var other = await Tenant.CreateAsync(Server);
        await (await Client.GetAsync(deviceUrl, other.Key)).ProblemAsync(404);
        await (await Client.SendJsonAsync(HttpMethod.Patch, url, new { inactivity_timeout_seconds = 1 }, other.Key)).ProblemAsync(404);
        var reader = await Server.NewKeyAsync(tenant.ProjectId, Fleetwatch.Auth.KeyRole.Read);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(deviceUrl, reader)).StatusCode);
        await (await Client.SendJsonAsync(HttpMethod.Patch, deviceUrl, new { inactivity_timeout_seconds = 1 }, reader)).ProblemAsync(403);
    }

    [Fact]
    public async Task AnInactivityRule_AlertsOncePerSilence_ThroughTheWebhook_AndResolvesWhenTheDeviceReturns()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "quiet", "remote");
        await tenant.AddDeviceAsync(Server, "chatty");
        await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/webhooks", new { url = receiver.Url }, tenant.Key);

        var missing = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "x", type = "inactivity" }, tenant.Key)).ProblemAsync(422);
        Assert.Equal(["inactive_seconds"], missing.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var wrongType = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", new { name = "x", type = "silence", inactive_seconds = 5 }, tenant.Key)).ProblemAsync(422);
        Assert.True(wrongType.GetProperty("errors").TryGetProperty("type", out _));

        var rule = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules",
            new { name = "Gone quiet", type = "inactivity", inactive_seconds = 1, scope = "TAG", tag = "remote", severity = "major", auto_resolve = true, cooldown_seconds = 0 },
            tenant.Key)).ReadJsonAsync();
        Assert.Equal("inactivity", rule.Str("type"));
        Assert.Equal(1, rule.Int("inactive_seconds"));

        await Client.PostJsonAsync("/status", Status("quiet"), tenant.Key);
        await Client.PostJsonAsync("/status", Status("chatty"), tenant.Key);
        var delivered = await receiver.WaitForAsync(1);
        var body = JsonDocument.Parse(delivered[0].Body).RootElement;
        Assert.Equal(rule.Long("id"), body.GetProperty("rule_id").GetInt64());

        // One alert for the silence, however long it lasts; the untagged device raises none.
        await Task.Delay(1500);
        var alerts = (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).EnumerateArray().ToArray();
        var alert = Assert.Single(alerts);
        Assert.Equal("open", alert.Str("state"));
        Assert.Equal("major", alert.Str("severity"));
        Assert.Equal("inactivity", alert.GetProperty("details").GetProperty("rule").Str("type"));
        Assert.True(alert.GetProperty("details").GetProperty("evaluation").Int("silent_seconds") >= 1);

        await Client.PostJsonAsync("/status", Status("quiet"), tenant.Key);
        JsonElement resolved = default;
        for (var waited = 0; waited < 5000; waited += 50)
        {
            resolved = (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).EnumerateArray().Single(a => a.Long("id") == alert.Long("id"));
            if (resolved.Str("state") == "resolved") break;
            await Task.Delay(50);
        }
        Assert.Equal("resolved", resolved.Str("state"));

        // The next silence is a new one: a second alert.
        var again = await receiver.WaitForAsync(2);
        Assert.Equal(2, again.Length);
    }

    [Fact]
    public async Task SummaryFleetAndMetrics_ShowConnectivityBesideTheReportedState_AndHeartbeatOnlyDevicesAreActive()
    {
        var tenant = await TenantWithTimeoutAsync(Server, 1);
        await tenant.AddDeviceAsync(Server, "silent");
        await tenant.AddDeviceAsync(Server, "beating");
        await Client.PostJsonAsync("/status", Status("silent", online: true), tenant.Key);
        await Task.Delay(1300);
        // The heartbeat-only device has no status at all, and is active all the same.
        var beat = await Client.PostJsonAsync("/api/v1/devices/beating/heartbeat", new { sent_at = DateTime.UtcNow.ToString("O") }, tenant.Key);
        Assert.True(beat.IsSuccessStatusCode, $"heartbeat answered {beat.StatusCode}");

        var summary = await (await Client.GetAsync("/status/summary", tenant.Key)).ReadJsonAsync();
        var silent = Assert.Single(summary.GetProperty("devices").EnumerateArray());
        Assert.True(silent.Bool("online")); // what it last said
        Assert.Equal("inactive", silent.Str("connectivity")); // what the server sees
        Assert.Equal(1, summary.Int("online_devices"));
        Assert.Equal(0, summary.Int("active_devices"));
        Assert.Equal(1, summary.Int("inactive_devices"));

        var fleetUrl = $"/projects/{tenant.ProjectId}/fleet";
        var active = await (await Client.GetAsync(fleetUrl + "?state=active", tenant.Key)).ReadJsonAsync();
        var row = Assert.Single(active.GetProperty("devices").EnumerateArray());
        Assert.Equal("beating", row.Str("device_id"));
        Assert.Equal(JsonValueKind.Null, row.GetProperty("online").ValueKind);
        Assert.Equal(1, active.GetProperty("counts").Int("active"));
        Assert.Equal(1, active.GetProperty("counts").Int("inactive"));
        var inactive = await (await Client.GetAsync(fleetUrl + "?state=inactive", tenant.Key)).ReadJsonAsync();
        Assert.Equal("silent", Assert.Single(inactive.GetProperty("devices").EnumerateArray()).Str("device_id"));
        await (await Client.GetAsync(fleetUrl + "?state=asleep", tenant.Key)).ProblemAsync(422);

        var metrics = await Client.GetStringAsync("/metrics");
        Assert.Contains($"fleetwatch_devices_active{{project=\"{tenant.ProjectId}\"}} 1", metrics);
        Assert.Contains($"fleetwatch_devices_inactive{{project=\"{tenant.ProjectId}\"}} 1", metrics);
    }

    [Fact]
    public async Task ADeviceSilentAcrossARestart_GoesInactiveOnTime_WithNoFloodOfTransitions()
    {
        var database = await backend.CreateDatabaseAsync();
        Tenant tenant;
        long steady, silent;
        await using (var first = await TestServer.StartAsync(database, FastChecks))
        {
            tenant = await TenantWithTimeoutAsync(first, 2);
            steady = await tenant.AddDeviceAsync(first, "steady");
            silent = await tenant.AddDeviceAsync(first, "silent");
            await first.Client.PostJsonAsync("/status", Status("steady"), tenant.Key);
            Assert.Equal(2, (await WaitForTransitionsAsync(first, tenant, steady, 2)).Length); // active, then inactive
            await first.Client.PostJsonAsync("/status", Status("silent"), tenant.Key);
            Assert.Single(await WaitForTransitionsAsync(first, tenant, silent, 1));
        }
        var stopped = DateTime.UtcNow;
        await using var second = await TestServer.StartAsync(database, FastChecks);
        // Its deadline passed while the server was down: recorded at start, as of the deadline, once.
        var transitions = await WaitForTransitionsAsync(second, tenant, silent, 2);
        Assert.Equal(["inactive", "active"], transitions.Select(t => t.Str("state")));
        Assert.True(DateTime.Parse(transitions[0].Str("since")).ToUniversalTime() <= stopped.AddSeconds(2.5));
        await Task.Delay(1000);
        Assert.Equal(2, (await TransitionsAsync(second, tenant, silent)).Length);
        Assert.Equal(2, (await TransitionsAsync(second, tenant, steady)).Length);
        Assert.Equal("inactive", (await ConnectivityAsync(second, tenant, steady)).Str("state"));
    }
}

public sealed class SqliteConnectivityFixture() : ServerFixture(new SqliteBackend())
{
    protected override string[] Settings => ConnectivityTests.FastChecks;
}

public sealed class PostgresConnectivityFixture() : ServerFixture(new PostgresBackend())
{
    protected override string[] Settings => ConnectivityTests.FastChecks;
}

public sealed class SqliteConnectivityTests(SqliteConnectivityFixture fixture)
    : ConnectivityTests(new SqliteBackend(), fixture), IClassFixture<SqliteConnectivityFixture>;
