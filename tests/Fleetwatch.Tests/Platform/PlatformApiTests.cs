using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Platform;

/// <summary>The telemetry platform's tenancy, devices and telemetry (CONTRACTS.md §3), on each backend.</summary>
public abstract partial class PlatformApiTests(ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected HttpClient Client => fixture.Server.Client;

    [GeneratedRegex("^[0-9a-f]{8}\\.[A-Za-z0-9_-]{43}$")]
    private static partial Regex KeyFormat();

    private static object Batch(string device, params object[] events) => new { device_external_id = device, events };

    [Fact]
    public async Task Bootstrap_OrgProjectKey_WithTheContractsBodiesAndErrors()
    {
        var name = "acme-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Client.PostJsonAsync("/orgs", new { name }, TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var org = await created.ReadJsonAsync();
        Assert.Equal(name, org.Str("name"));
        await (await Client.PostJsonAsync("/orgs", new { name }, TestServer.AdminKey)).ProblemAsync(409);
        var invalid = await (await Client.PostJsonAsync("/orgs", new { name = 5 }, TestServer.AdminKey)).ProblemAsync(422);
        Assert.Contains("name", invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name));

        var project = await (await Client.PostJsonAsync($"/orgs/{org.Long("id")}/projects", new { name = "plant" }, TestServer.AdminKey)).ReadJsonAsync();
        Assert.Equal(org.Long("id"), project.Long("org_id"));
        Assert.Equal("plant", project.Str("name"));
        Assert.Equal("org not found", (await (await Client.PostJsonAsync("/orgs/999999/projects", new { name = "x" }, TestServer.AdminKey)).ProblemAsync(404)).Str("detail"));

        var keyResponse = await Client.PostJsonAsync($"/projects/{project.Long("id")}/api-keys", new { }, TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Created, keyResponse.StatusCode);
        var key = await keyResponse.ReadJsonAsync();
        Assert.Matches(KeyFormat(), key.Str("api_key"));
        Assert.Equal(key.Str("api_key")[..8], key.Str("prefix"));
        Assert.Equal(project.Long("id"), key.Long("project_id"));
        Assert.Equal("project not found", (await (await Client.PostJsonAsync("/projects/999999/api-keys", new { }, TestServer.AdminKey)).ProblemAsync(404)).Str("detail"));

        // A project's key is not a server administrator: it cannot make orgs or projects.
        await (await Client.PostJsonAsync("/orgs", new { name = name + "-2" }, key.Str("api_key"))).ProblemAsync(403);
        await (await Client.PostJsonAsync($"/orgs/{org.Long("id")}/projects", new { name = "other" }, key.Str("api_key"))).ProblemAsync(403);
    }

    [Fact]
    public async Task AuthFailures_UseThePlatformsCodesAndTexts()
    {
        Assert.Equal("Missing X-API-Key", (await (await Client.GetAsync("/projects/1/devices", key: null)).ProblemAsync(401)).Str("detail"));
        Assert.Equal("Invalid API key format", (await (await Client.GetAsync("/projects/1/devices", "no-dot-here")).ProblemAsync(403)).Str("detail"));
        Assert.Equal("Invalid API key", (await (await Client.GetAsync("/projects/1/devices", "0123abcd.wrongsecret")).ProblemAsync(403)).Str("detail"));
    }

    [Fact]
    public async Task Devices_CreateListGetTagsDelete()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var response = await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices", new { external_id = "sensor-01", name = "Boiler", tags = new[] { "b", " a ", "a", "" } }, tenant.Key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var device = await response.ReadJsonAsync();
        var id = device.Long("id");
        Assert.Equal(tenant.ProjectId, device.Long("project_id"));
        Assert.Equal("sensor-01", device.Str("external_id"));
        Assert.Equal("Boiler", device.Str("name"));
        Assert.Equal(["a", "b"], device.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.EndsWith("Z", device.Str("created_at"));

        var duplicate = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices", new { external_id = "sensor-01", name = "again" }, tenant.Key)).ProblemAsync(400);
        Assert.Equal("external_id must be unique within the project", duplicate.Str("detail"));
        var invalid = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices", new { name = "no id", tags = new object[] { 1 } }, tenant.Key)).ProblemAsync(422);
        Assert.Equal(["external_id", "tags[0]"], invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name));

        var other = await tenant.AddDeviceAsync(Server, "sensor-02", "z");
        var listed = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync();
        Assert.Equal([id, other], listed.EnumerateArray().Select(d => d.Long("id")));
        var tagged = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices?tag=z", tenant.Key)).ReadJsonAsync();
        Assert.Equal([other], tagged.EnumerateArray().Select(d => d.Long("id")));
        Assert.Equal("Boiler", (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{id}", tenant.Key)).ReadJsonAsync()).Str("name"));

        async Task<string[]> Tags(HttpMethod method, params string[] tags)
        {
            var changed = await Client.SendJsonAsync(method, $"/projects/{tenant.ProjectId}/devices/{id}/tags", new { tags }, tenant.Key);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            var body = await changed.ReadJsonAsync();
            Assert.Equal(id, body.Long("device_id"));
            return [.. body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];
        }
        Assert.Equal(["c", "d"], await Tags(HttpMethod.Patch, "d", "c", "d"));
        Assert.Equal(["a", "c", "d"], await Tags(HttpMethod.Post, " a", "c"));
        Assert.Equal(["a"], await Tags(HttpMethod.Delete, "c", "d", "not-there"));
        await (await Client.SendJsonAsync(HttpMethod.Patch, $"/projects/{tenant.ProjectId}/devices/{id}/tags", new { tags = "x" }, tenant.Key)).ProblemAsync(422);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/projects/{tenant.ProjectId}/devices/{id}", tenant.Key)).StatusCode);
        Assert.Equal("device not found", (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{id}", tenant.Key)).ProblemAsync(404)).Str("detail"));
        await (await Client.DeleteAsync($"/projects/{tenant.ProjectId}/devices/{id}", tenant.Key)).ProblemAsync(404);
        await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ProblemAsync(404);
        // The external id is free again.
        await tenant.AddDeviceAsync(Server, "sensor-01");
    }

    [Fact]
    public async Task Devices_NameIsRequired_AsInTheOriginal()
    {
        var tenant = await Tenant.CreateAsync(Server);
        foreach (var body in new object[] { new { external_id = "nameless" }, new { external_id = "nameless", name = (string?)null }, new { external_id = "nameless", name = " " } })
        {
            var problem = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices", body, tenant.Key)).ProblemAsync(422);
            Assert.Equal(["name"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        }
        Assert.Empty((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync()).EnumerateArray());
    }

    [Fact]
    public async Task TimestampsWithoutAnOffset_AreUtc_OnEveryApiThatTakesOne()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var id = await tenant.AddDeviceAsync(Server, "naive-1");
        // Python's datetime.utcnow().isoformat(), with six and with nine fractional digits.
        var telemetry = await Client.PostJsonAsync("/telemetry", Batch("naive-1",
            new { ts = "2025-01-01T12:00:00.123456", data = new { temperature = 1 } },
            new { ts = "2025-01-01T12:00:01.123456789", data = new { temperature = 2 } }), tenant.Key);
        Assert.Equal(HttpStatusCode.Accepted, telemetry.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync("/api/v1/devices/naive-1/heartbeat", new { sent_at = "2025-01-01T12:00:02" }, tenant.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync("/api/v1/devices/naive-1/stats", new { sent_at = "2025-01-01T12:00:03.5", upload_time = 7 }, tenant.Key)).StatusCode);

        var events = (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ReadJsonAsync()).EnumerateArray();
        Assert.Equal(["2025-01-01T12:00:03.5Z", "2025-01-01T12:00:02Z", "2025-01-01T12:00:01.123456Z", "2025-01-01T12:00:00.123456Z"], events.Select(e => e.Str("ts")));

        // Query parameters too: the backend history's start and end, the alerts' since.
        var history = await (await Client.GetAsync("/api/v1/devices/naive-1/history?start=2025-01-01T12:00:01&end=2025-01-01T12:00:03", tenant.Key)).ReadJsonAsync();
        Assert.Equal(["2025-01-01T12:00:01.123456Z"], history.GetProperty("data").EnumerateArray().Select(r => r.Str("timestamp")));
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts?since=2025-01-01T12:00:00", tenant.Key)).StatusCode);
        await (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts?since=2025-01-01", tenant.Key)).ProblemAsync(422);
    }

    [Fact]
    public async Task Telemetry_BatchIsAcceptedAfterCommit_AndReadsBackNewestFirst()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var id = await tenant.AddDeviceAsync(Server, "sensor-01");
        var response = await Client.PostJsonAsync("/telemetry", Batch("sensor-01",
            new { ts = "2025-01-01T12:00:00Z", data = new { temperature = 95.5, count = 3, label = "hot", ok = true, note = (string?)null, nested = new { a = new[] { 1, 2 } } } },
            new { ts = "2025-01-01T14:00:01+02:00", data = new { temperature = 96 } },
            new { ts = 1735732802, data = new { temperature = 97 } },
            new { ts = 1735732803.25, data = new { temperature = 98 }, ignored = "unknown fields are ignored" }), tenant.Key);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.ReadJsonAsync();
        Assert.Equal(4, accepted.Int("queued"));
        Assert.Equal(id, accepted.Long("device_id"));

        var events = (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ReadJsonAsync()).EnumerateArray().ToList();
        Assert.Equal(["2025-01-01T12:00:03.25Z", "2025-01-01T12:00:02Z", "2025-01-01T12:00:01Z", "2025-01-01T12:00:00Z"], events.Select(e => e.Str("ts")));
        var first = events[^1];
        Assert.Equal(id, first.Long("device_id"));
        Assert.Equal("measurement", first.Str("kind"));
        var payload = first.GetProperty("payload");
        Assert.Equal(95.5, payload.GetProperty("temperature").GetDouble());
        Assert.Equal(3, payload.Int("count"));
        Assert.Equal("hot", payload.Str("label"));
        Assert.True(payload.Bool("ok"));
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("note").ValueKind);
        Assert.Equal("{\"a\":[1,2]}", payload.GetProperty("nested").GetRawText());

        Assert.Equal(2, (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=2", tenant.Key)).ReadJsonAsync()).GetArrayLength());
        await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=0", tenant.Key)).ProblemAsync(422);
        await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=1001", tenant.Key)).ProblemAsync(422);
        Assert.Equal("2025-01-01T12:00:03.25Z", (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry/latest", tenant.Key)).ReadJsonAsync()).Str("ts"));
        var since = await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry/since?since_ts=1735732802", tenant.Key)).ReadJsonAsync();
        Assert.Equal(["2025-01-01T12:00:03.25Z", "2025-01-01T12:00:02Z"], since.EnumerateArray().Select(e => e.Str("ts")));
        await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry/since", tenant.Key)).ProblemAsync(422);

        // Backfill: older than the latest, accepted and placed in time order.
        await Client.PostJsonAsync("/telemetry", Batch("sensor-01", new { ts = "2024-12-31T00:00:00Z", data = new { temperature = 1 } }), tenant.Key);
        var all = await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ReadJsonAsync();
        Assert.Equal("2024-12-31T00:00:00Z", all.EnumerateArray().Last().Str("ts"));
    }

    [Fact]
    public async Task Telemetry_BatchEdgeCases_StoreNothingWhenRejected()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var id = await tenant.AddDeviceAsync(Server, "sensor-01");
        var latest = await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry/latest", tenant.Key)).ProblemAsync(404);
        Assert.Contains("no telemetry", latest.Str("detail"));

        Assert.Equal("events cannot be empty", (await (await Client.PostJsonAsync("/telemetry", Batch("sensor-01"), tenant.Key)).ProblemAsync(400)).Str("detail"));
        Assert.Equal("too many events (max 5000)", (await (await Client.PostRawAsync("/telemetry", BatchJson(5001, badIndex: -1), tenant.Key)).ProblemAsync(400)).Str("detail"));

        var bad = await (await Client.PostRawAsync("/telemetry", BatchJson(5000, badIndex: 4321), tenant.Key)).ProblemAsync(422);
        Assert.Contains("events[4321].ts", bad.Str("detail"));
        Assert.Equal(["events[4321].ts"], bad.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry/latest", tenant.Key)).ProblemAsync(404);

        var full = await Client.PostRawAsync("/telemetry", BatchJson(5000, badIndex: -1), tenant.Key);
        Assert.Equal(HttpStatusCode.Accepted, full.StatusCode);
        Assert.Equal(5000, (await full.ReadJsonAsync()).Int("queued"));
        Assert.Equal(1000, (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=1000", tenant.Key)).ReadJsonAsync()).GetArrayLength());

        Assert.Equal("device not found", (await (await Client.PostJsonAsync("/telemetry", Batch("nobody", new { ts = 1, data = new { } }), tenant.Key)).ProblemAsync(404)).Str("detail"));
        var errors = (await (await Client.PostJsonAsync("/telemetry", Batch("sensor-01",
            new { ts = "2025-01-01", data = new { } },
            new { ts = "2025-01-01T12:00:00Z", data = new[] { 1 } },
            new { data = new { } },
            new { ts = true, data = new { t = 1 } }), tenant.Key)).ProblemAsync(422)).GetProperty("errors");
        Assert.Equal(["events[0].ts", "events[1].data", "events[2].ts", "events[3].ts"], errors.EnumerateObject().Select(p => p.Name));
        await (await Client.PostRawAsync("/telemetry", "{\"device_external_id\": \"sensor-01\", \"events\": [", tenant.Key)).ProblemAsync(400);
        await (await Client.PostJsonAsync("/telemetry", new { device_external_id = 7, events = new[] { new { ts = 1, data = new { } } } }, tenant.Key)).ProblemAsync(422);
        await (await Client.PostJsonAsync("/telemetry", new[] { 1 }, tenant.Key)).ProblemAsync(422);
        Assert.Equal(5000, await CountAsync(tenant, id));
    }

    private async Task<int> CountAsync(Tenant tenant, long id)
    {
        var since = await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=1000", tenant.Key)).ReadJsonAsync();
        // Every accepted event of the 5,000-batch has a distinct second; the newest thousand prove the range, the latest the end.
        var newest = since.EnumerateArray().First().Str("ts");
        return newest == "2025-01-01T13:23:19Z" ? 5000 : -1;
    }

    /// <summary>A batch of <paramref name="count"/> events one second apart from 2025-01-01T12:00:00Z, the one at <paramref name="badIndex"/> a date without a time.</summary>
    private static string BatchJson(int count, int badIndex)
    {
        var json = new StringBuilder("{\"device_external_id\":\"sensor-01\",\"events\":[");
        var start = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) json.Append(',');
            var ts = start.AddSeconds(i).ToString(i == badIndex ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            json.Append("{\"ts\":\"").Append(ts).Append("\",\"data\":{\"temperature\":").Append(i).Append("}}");
        }
        return json.Append("]}").ToString();
    }

    [Fact]
    public async Task OneDeviceModel_StatusesAndHeartbeatsShowInTelemetry_AndPlatformDevicesPostStatuses()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var id = await tenant.AddDeviceAsync(Server, "cam-1");

        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status",
            new { device_id = "cam-1", timestamp = "2025-01-01T12:00:00Z", battery_level = 15, rssi = -70, online = true }, tenant.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync("/api/v1/devices/cam-1/heartbeat", new { sent_at = "2025-01-01T12:01:00Z" }, tenant.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostJsonAsync("/api/v1/devices/cam-1/stats", new { sent_at = "2025-01-01T12:02:00Z", upload_time = 5_000_000_000L }, tenant.Key)).StatusCode);

        var events = (await (await Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ReadJsonAsync()).EnumerateArray().ToList();
        Assert.Equal(["upload_stat", "heartbeat", "status"], events.Select(e => e.Str("kind")));
        var status = events[2].GetProperty("payload");
        Assert.Equal(15, status.Int("battery_level"));
        Assert.Equal(-70, status.Int("rssi"));
        Assert.True(status.Bool("online"));
        Assert.Equal(5_000_000_000L, events[0].GetProperty("payload").Long("upload_time"));

        // And a device that appeared through /status is a device of the platform API too.
        await Client.PostJsonAsync("/status", new { device_id = "implicit-1", timestamp = "2025-01-01T12:00:00Z", battery_level = 50, rssi = -50, online = false }, tenant.Key);
        var listed = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync();
        var implicitDevice = listed.EnumerateArray().Single(d => d.Str("external_id") == "implicit-1");
        Assert.Equal("implicit-1", implicitDevice.Str("name"));
        var history = await (await Client.GetAsync("/status/cam-1/history", tenant.Key)).ReadJsonAsync();
        Assert.Equal(1, history.Int("total_records"));
    }

    [Fact]
    public async Task Keys_ListShowsUse_AndRevocationStopsTheKeyAtOnce()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var reader = await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "read", name = "dashboard" }, tenant.Key)).ReadJsonAsync();
        Assert.Equal("read", reader.Str("role"));
        var readKey = reader.Str("api_key");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", readKey)).StatusCode);
        await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "owner" }, tenant.Key)).ProblemAsync(422);
        // A read key reads; it neither writes telemetry nor manages devices or keys.
        await (await Client.PostJsonAsync("/telemetry", Batch("x", new { ts = 1, data = new { } }), readKey)).ProblemAsync(403);
        await (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/devices", new { external_id = "d" }, readKey)).ProblemAsync(403);
        await (await Client.GetAsync($"/projects/{tenant.ProjectId}/api-keys", readKey)).ProblemAsync(403);

        var response = await Client.GetAsync($"/projects/{tenant.ProjectId}/api-keys", tenant.Key);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(readKey[9..], text);
        var keys = JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        var listedReader = keys.Single(k => k.Str("prefix") == readKey[..8]);
        Assert.Equal("read", listedReader.Str("role"));
        Assert.Equal("dashboard", listedReader.Str("name"));
        Assert.NotNull(listedReader.GetProperty("created_at").GetString());
        Assert.NotNull(listedReader.GetProperty("last_used_at").GetString());
        Assert.Equal(JsonValueKind.Null, listedReader.GetProperty("revoked_at").ValueKind);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/projects/{tenant.ProjectId}/api-keys/{readKey[..8]}", tenant.Key)).StatusCode);
        Assert.Equal("Invalid API key", (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices", readKey)).ProblemAsync(403)).Str("detail"));
        var revoked = (await (await Client.GetAsync($"/projects/{tenant.ProjectId}/api-keys", tenant.Key)).ReadJsonAsync()).EnumerateArray().Single(k => k.Str("prefix") == readKey[..8]);
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        await (await Client.DeleteAsync($"/projects/{tenant.ProjectId}/api-keys/ffffffff", tenant.Key)).ProblemAsync(404);
    }
}

public sealed class SqlitePlatformApiTests(SqliteServerFixture fixture) : PlatformApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresPlatformApiTests(PostgresServerFixture fixture) : PlatformApiTests(fixture), IClassFixture<PostgresServerFixture>;
