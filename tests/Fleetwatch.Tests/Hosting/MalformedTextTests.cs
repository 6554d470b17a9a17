using System.Net.Http.Headers;
using System.Text;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>
/// Strings that are not valid Unicode text — invalid UTF-8 bytes, or an escaped unpaired surrogate — on every route
/// that reads a JSON body: 400 naming the field, never a 500, nothing stored (CONTRACTS.md, "Malformed input").
/// </summary>
public abstract class MalformedTextTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    /// <summary>The two kinds of bad text, as the bytes that go between a string's quotes.</summary>
    public static TheoryData<string> BadTexts => ["invalid-utf8", "lone-surrogate"];

    private static byte[] Bad(string kind) => kind == "invalid-utf8" ? [(byte)'x', 0xFF, 0xFE, (byte)'y'] : "x\\ud800y"u8.ToArray();

    /// <summary>A body whose <c>@</c> is replaced by the bad text.</summary>
    private static ByteArrayContent Body(string template, string kind)
    {
        var at = template.IndexOf('@');
        byte[] bytes = [.. Encoding.UTF8.GetBytes(template[..at]), .. Bad(kind), .. Encoding.UTF8.GetBytes(template[(at + 1)..])];
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task AssertNamedAsync(string path, string template, string kind, string key, string field)
    {
        var response = await Server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = Body(template, kind) }.WithKey(key));
        var problem = await response.ProblemAsync(400);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Contains("not valid Unicode text", problem.Str("detail"));
    }

    [Theory]
    [MemberData(nameof(BadTexts))]
    public async Task IngestRoutes_Answer400NamingTheField_AndStoreNothing(string kind)
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "cam");
        var backendDevice = "bk-" + Guid.NewGuid().ToString("N")[..10];
        var registered = await Server.Client.PostJsonAsync("/api/v1/devices", new { device_id = backendDevice }, TestServer.AdminKey);
        var deviceKey = (await registered.ReadJsonAsync()).GetProperty("data").Str("api_key");

        await AssertNamedAsync("/status", """{"device_id":"@","timestamp":"2024-06-14T10:00:00Z","battery_level":5,"rssi":-5,"online":true}""", kind, tenant.Key, "device_id");
        await AssertNamedAsync("/status", """{"device_id":"cam","timestamp":"@","battery_level":5,"rssi":-5,"online":true}""", kind, tenant.Key, "timestamp");
        await AssertNamedAsync("/api/v1/devices/cam/heartbeat", """{"sent_at":"@"}""", kind, tenant.Key, "sent_at");
        await AssertNamedAsync("/api/v1/devices/cam/stats", """{"sent_at":"@","upload_time":5}""", kind, tenant.Key, "sent_at");
        await AssertNamedAsync("/telemetry", """{"device_external_id":"@","events":[{"ts":1,"data":{"t":1}}]}""", kind, tenant.Key, "device_external_id");
        await AssertNamedAsync("/telemetry", """{"device_external_id":"cam","events":[{"ts":1,"data":{"t":1}},{"ts":2,"data":{"label":"@"}}]}""", kind, tenant.Key, "events[1].data.label");
        await AssertNamedAsync("/api/v1/ingest", """{"temperature":20,"metrics":{"@":1}}""", kind, deviceKey, "metrics");
        await AssertNamedAsync("/api/v1/ingest", """{"device_id":"@","metrics":{"t":1}}""", kind, deviceKey, "device_id");
        await AssertNamedAsync("/api/v1/ingest/batch", """[{"t":1},{"device_id":"@","t":1}]""", kind, deviceKey, "[1].device_id");

        Assert.Equal(0, (await (await Server.Client.GetAsync("/status/summary", tenant.Key)).ReadJsonAsync()).Int("total_devices"));
        var id = (await (await Server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync())[0].Long("id");
        Assert.Equal(0, (await (await Server.Client.GetAsync($"/telemetry/devices/{id}/telemetry", tenant.Key)).ReadJsonAsync()).GetArrayLength());
        Assert.Equal(0, (await (await Server.Client.GetAsync($"/api/v1/devices/{backendDevice}/history", key: null)).ReadJsonAsync()).GetProperty("data").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(BadTexts))]
    public async Task ManagementRoutes_Answer400NamingTheField(string kind)
    {
        var tenant = await Tenant.CreateAsync(Server);
        await AssertNamedAsync("/orgs", """{"name":"@"}""", kind, TestServer.AdminKey, "name");
        await AssertNamedAsync($"/projects/{tenant.ProjectId}/devices", """{"external_id":"d","name":"@","tags":["a"]}""", kind, tenant.Key, "name");
        await AssertNamedAsync($"/projects/{tenant.ProjectId}/devices", """{"external_id":"d","name":"n","tags":["a","@"]}""", kind, tenant.Key, "tags[1]");
        await AssertNamedAsync($"/projects/{tenant.ProjectId}/rules", """{"name":"r","metric":"@","threshold":1}""", kind, tenant.Key, "metric");
        await AssertNamedAsync("/api/v1/devices", """{"device_id":"@"}""", kind, TestServer.AdminKey, "device_id");
        Assert.Empty((await (await Server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync()).EnumerateArray());
    }

    [Fact]
    public async Task ABadByteInAFieldTheParserSkips_IsStill400()
    {
        var (_, key) = await Server.NewProjectKeyAsync();
        var response = await Server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/status")
        {
            Content = Body("""{"device_id":"d","timestamp":"2024-06-14T10:00:00Z","battery_level":5,"rssi":-5,"online":true,"note":"@"}""", "invalid-utf8"),
        }.WithKey(key));
        Assert.Equal(["note"], (await response.ProblemAsync(400)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }
}

public sealed class SqliteMalformedTextTests(SqliteServerFixture fixture) : MalformedTextTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresMalformedTextTests(PostgresServerFixture fixture) : MalformedTextTests(fixture), IClassFixture<PostgresServerFixture>;
