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
}
