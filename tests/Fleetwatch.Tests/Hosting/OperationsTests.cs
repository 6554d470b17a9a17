using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Hosting;

/// <summary>Security headers on every response; CORS off unless configured.</summary>
public sealed class OperationsTests
{
    [Fact]
    public async Task EveryResponse_CarriesTheSecurityHeaders_AndCorsIsOffByDefault()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync());
        foreach (var path in new[] { "/health", "/status/summary", "/no-such-route" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Origin", "https://dashboard.example");
            var response = await server.Client.SendAsync(request);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Cors_AllowsTheConfiguredOrigins_Only()
    {
        await using var server = await TestServer.StartAsync(await new SqliteBackend().CreateDatabaseAsync(), "--Cors:AllowedOrigins:0", "https://dashboard.example");
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/status");
        preflight.Headers.Add("Origin", "https://dashboard.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        var allowed = await server.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://dashboard.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var other = new HttpRequestMessage(HttpMethod.Get, "/health");
        other.Headers.Add("Origin", "https://evil.example");
        Assert.False((await server.Client.SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
    }
}
