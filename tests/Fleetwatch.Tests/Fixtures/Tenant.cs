using System.Net;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>An org, a project and its admin key, made through the platform API as a new customer would.</summary>
public sealed record Tenant(long OrgId, long ProjectId, string Key)
{
    public static Task<Tenant> CreateAsync(TestServer server) => CreateAsync(TestServer.AdminKey, server.Client);

    public static async Task<Tenant> CreateAsync(string adminKey, HttpClient client)
    {
        var org = await (await client.PostJsonAsync("/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..12] }, adminKey)).ReadJsonAsync();
        var project = await (await client.PostJsonAsync($"/orgs/{org.Long("id")}/projects", new { name = "plant" }, adminKey)).ReadJsonAsync();
        var key = await (await client.PostJsonAsync($"/projects/{project.Long("id")}/api-keys", new { }, adminKey)).ReadJsonAsync();
        return new Tenant(org.Long("id"), project.Long("id"), key.Str("api_key"));
    }

    /// <summary>Registers a device; returns its integer id.</summary>
    public async Task<long> AddDeviceAsync(TestServer server, string externalId, params string[] tags)
    {
        var response = await server.Client.PostJsonAsync($"/projects/{ProjectId}/devices", new { external_id = externalId, name = externalId, tags }, Key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).Long("id");
    }
}
