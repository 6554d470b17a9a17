using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Platform;

/// <summary>Settings that change who may do what: rate limits and the open bootstrap.</summary>
public sealed class PlatformSettingsTests
{
    [Fact]
    public async Task RateLimits_Answer429WithRetryAfter_PerKey()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(),
            "--RateLimits:Enabled", "true", "--RateLimits:ApiKeysPerHour", "2", "--RateLimits:TelemetryPerMinute", "3", "--RateLimits:TelemetryPerHour", "100");
        var tenant = await Tenant.CreateAsync(server); // its key was made with the server key's budget, not its own
        var client = server.Client;

        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { }, tenant.Key)).StatusCode);
        var limited = await client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { }, tenant.Key);
        var problem = await limited.ProblemAsync(429);
        Assert.Equal("2 per 1 hour", problem.Str("detail"));
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");

        await tenant.AddDeviceAsync(server, "d");
        object Batch() => new { device_external_id = "d", events = new[] { new { ts = 1, data = new { t = 1 } } } };
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/telemetry", Batch(), tenant.Key)).StatusCode);
        var throttled = await client.PostJsonAsync("/telemetry", Batch(), tenant.Key);
        Assert.Equal("3 per 1 minute", (await throttled.ProblemAsync(429)).Str("detail"));
        Assert.NotNull(throttled.Headers.RetryAfter);

        // Another key of the same project has its own budget; reads are not limited.
        var other = (await (await client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { }, TestServer.AdminKey)).ReadJsonAsync()).Str("api_key");
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/telemetry", Batch(), other)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).StatusCode);
    }

    [Fact]
    public async Task OpenBootstrap_LetsKeylessRequestsCreateTenants_ButNothingElse()
    {
        await using (var closed = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync()))
        {
            await (await closed.Client.PostJsonAsync("/orgs", new { name = "acme" }, key: null)).ProblemAsync(401);
        }

        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--Auth:OpenBootstrap", "true");
        var client = server.Client;
        var org = await (await client.PostJsonAsync("/orgs", new { name = "acme" }, key: null)).ReadJsonAsync();
        var project = await (await client.PostJsonAsync($"/orgs/{org.Long("id")}/projects", new { name = "plant" }, key: null)).ReadJsonAsync();
        var created = await client.PostJsonAsync($"/projects/{project.Long("id")}/api-keys", new { }, key: null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.ReadJsonAsync()).Str("api_key");

        await (await client.GetAsync($"/projects/{project.Long("id")}/devices", key: null)).ProblemAsync(401);
        await (await client.GetAsync("/orgs", key: null)).ProblemAsync(401);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/projects/{project.Long("id")}/devices", key)).StatusCode);
        // A key that is sent is still checked, even on the open routes.
        await (await client.PostJsonAsync("/orgs", new { name = "other" }, key)).ProblemAsync(403);
    }
}
