using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.TelemetryBackend;

/// <summary>The telemetry backend's compatibility settings: shared DEVICE_API_KEYS, and reads that require a key.</summary>
public sealed class BackendSettingsTests
{
    [Fact]
    public async Task DeviceApiKeys_IngestForTheDefaultProject_NamingTheDevice_ButReadNothing()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--DEVICE_API_KEYS", "shared-key-1, shared-key-2");
        await server.Client.PostJsonAsync("/api/v1/devices", new { device_id = "esp-1" }, TestServer.AdminKey);

        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync("/api/v1/ingest", new { device_id = "esp-1", metrics = new { temperature = 20 } }, "shared-key-2")).StatusCode);
        Assert.Equal(422, (int)(await server.Client.PostJsonAsync("/api/v1/ingest", new { temperature = 20 }, "shared-key-1")).StatusCode);
        Assert.Equal(403, (int)(await server.Client.PostJsonAsync("/api/v1/devices", new { device_id = "esp-2" }, "shared-key-1")).StatusCode);
        Assert.Equal(403, (int)(await server.Client.PostJsonAsync("/api/v1/ingest", new { device_id = "esp-1", temperature = 20 }, "not-a-shared-key")).StatusCode);
        var history = await (await server.Client.GetAsync("/api/v1/devices/esp-1/history", key: null)).ReadJsonAsync();
        Assert.Equal(1, history.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task WithAnonymousReadsOff_ReadsNeedAKey()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--Auth:AnonymousBackendReads", "false");
        await server.Client.PostJsonAsync("/api/v1/devices", new { device_id = "esp-1" }, TestServer.AdminKey);
        Assert.Equal("AUTHENTICATION_FAILED", (await (await server.Client.GetAsync("/api/v1/devices", key: null)).ProblemAsync(401)).Str("code"));
        await (await server.Client.GetAsync("/api/v1/devices/esp-1/history", key: null)).ProblemAsync(401);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/api/v1/devices/esp-1", TestServer.AdminKey)).StatusCode);
    }
}
