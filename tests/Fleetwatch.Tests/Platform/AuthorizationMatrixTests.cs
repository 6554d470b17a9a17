using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Platform;

/// <summary>
/// Every project-scoped route, tried with a key of project A on project B's resources (404, or [] for
/// lists, never B's data), without a key (401) and with a revoked key (403); B's data is unchanged after.
/// </summary>
public abstract class AuthorizationMatrixTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private HttpClient Client => fixture.Server.Client;

    private sealed record Route(string Method, string Path, object? Body, bool IsList);

    private static Route[] Routes(Tenant b, long deviceB, string prefixB) =>
    [
        new("POST", $"/projects/{b.ProjectId}/api-keys", new { }, false),
        new("GET", $"/projects/{b.ProjectId}", null, false),
        new("GET", $"/projects/{b.ProjectId}/api-keys", null, true),
        new("DELETE", $"/projects/{b.ProjectId}/api-keys/{prefixB}", null, false),
        new("POST", $"/projects/{b.ProjectId}/devices", new { external_id = "intruder" }, false),
        new("GET", $"/projects/{b.ProjectId}/devices", null, true),
        new("GET", $"/projects/{b.ProjectId}/fleet", null, false),
        new("GET", $"/projects/{b.ProjectId}/devices/{deviceB}", null, false),
        new("DELETE", $"/projects/{b.ProjectId}/devices/{deviceB}", null, false),
        new("PATCH", $"/projects/{b.ProjectId}/devices/{deviceB}/tags", new { tags = new[] { "x" } }, false),
        new("POST", $"/projects/{b.ProjectId}/devices/{deviceB}/tags", new { tags = new[] { "x" } }, false),
        new("DELETE", $"/projects/{b.ProjectId}/devices/{deviceB}/tags", new { tags = new[] { "secret" } }, false),
        new("GET", $"/orgs/{b.OrgId}/projects", null, true),
        new("POST", "/telemetry", new { device_external_id = "b-device", events = new[] { new { ts = 1, data = new { t = 1 } } } }, false),
        new("GET", $"/telemetry/devices/{deviceB}/telemetry", null, false),
        new("GET", $"/telemetry/devices/{deviceB}/telemetry/latest", null, false),
        new("GET", $"/telemetry/devices/{deviceB}/telemetry/since?since_ts=0", null, false),
    ];

    private Task<HttpResponseMessage> SendAsync(Route route, string? key) => route.Body is null
        ? Client.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Path).WithKey(key))
        : Client.SendJsonAsync(new HttpMethod(route.Method), route.Path, route.Body, key);

    [Fact]
    public async Task EveryRoute_HidesAnotherProjectsResources_AndRefusesMissingAndRevokedKeys()
    {
        var a = await Tenant.CreateAsync(Server);
        var b = await Tenant.CreateAsync(Server);
        var deviceB = await b.AddDeviceAsync(Server, "b-device", "secret");
        await Client.PostJsonAsync("/telemetry", new { device_external_id = "b-device", events = new[] { new { ts = 100, data = new { t = 42 } } } }, b.Key);
        var revoked = (await (await Client.PostJsonAsync($"/projects/{a.ProjectId}/api-keys", new { }, a.Key)).ReadJsonAsync()).Str("api_key");
        await Client.DeleteAsync($"/projects/{a.ProjectId}/api-keys/{revoked[..8]}", a.Key);

        foreach (var route in Routes(b, deviceB, b.Key[..8]))
        {
            var name = $"{route.Method} {route.Path}";
            var response = await SendAsync(route, a.Key);
            var body = await response.Content.ReadAsStringAsync();
            if (route.IsList)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK && body == "[]", $"{name} with A's key: {(int)response.StatusCode} {body}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{name} with A's key: {(int)response.StatusCode} {body}");
            }
            Assert.DoesNotContain("secret", body);
            Assert.DoesNotContain("b-device", body);

            // Ownership comes before parameters: a request that is also malformed still learns nothing of B (no 422).
            // POST /telemetry names its device in the body, so a malformed body names none: its 422 says nothing of B.
            if (route.Path == "/telemetry") continue;
            var malformed = route with { Path = route.Path.Split('?')[0] + "?limit=-1&since_ts=x", Body = route.Body is null ? null : new object[] { 1 } };
            var malformedResponse = await SendAsync(malformed, a.Key);
            var malformedBody = await malformedResponse.Content.ReadAsStringAsync();
            Assert.True(route.IsList ? malformedResponse.StatusCode == HttpStatusCode.OK && malformedBody == "[]" : malformedResponse.StatusCode == HttpStatusCode.NotFound,
                $"{name}, malformed, with A's key: {(int)malformedResponse.StatusCode} {malformedBody}");
        }

        foreach (var route in Routes(b, deviceB, b.Key[..8]))
        {
            var name = $"{route.Method} {route.Path}";
            Assert.Equal(401, (int)(await SendAsync(route, null)).StatusCode);
            var withRevoked = await SendAsync(route, revoked);
            Assert.True(withRevoked.StatusCode == HttpStatusCode.Forbidden, $"{name} with a revoked key: {(int)withRevoked.StatusCode}");
        }

        // The single-tenant APIs resolve device ids within the key's project only.
        await (await Client.GetAsync("/status/b-device", a.Key)).ProblemAsync(404);
        await (await Client.GetAsync("/api/v1/devices/b-device/stats", a.Key)).ProblemAsync(404);
        await (await Client.GetAsync($"/projects/{a.ProjectId}/devices/{deviceB}", a.Key)).ProblemAsync(404);
        var orgs = await (await Client.GetAsync("/orgs", a.Key)).ReadJsonAsync();
        Assert.Equal([a.OrgId], orgs.EnumerateArray().Select(o => o.Long("id")));

        // B lost nothing: its device, tags, telemetry and key are as they were.
        var device = await (await Client.GetAsync($"/projects/{b.ProjectId}/devices/{deviceB}", b.Key)).ReadJsonAsync();
        Assert.Equal(["secret"], device.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var events = await (await Client.GetAsync($"/telemetry/devices/{deviceB}/telemetry", b.Key)).ReadJsonAsync();
        Assert.Equal(1, events.GetArrayLength());
        Assert.Single((await (await Client.GetAsync($"/projects/{b.ProjectId}/devices", b.Key)).ReadJsonAsync()).EnumerateArray());
    }
}

public sealed class SqliteAuthorizationMatrixTests(SqliteServerFixture fixture) : AuthorizationMatrixTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresAuthorizationMatrixTests(PostgresServerFixture fixture) : AuthorizationMatrixTests(fixture), IClassFixture<PostgresServerFixture>;
