using System.Net.Http.Json;
using Fleetwatch.Auth;
using Fleetwatch.Hosting;
using Fleetwatch.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>The real server on Kestrel at a free port of 127.0.0.1, over a real database.</summary>
public sealed class TestServer : IAsyncDisposable
{
    /// <summary>Passed as API_KEY, as the seeds' compose files do: a server administrator key.</summary>
    public const string AdminKey = "test-admin-key-0123456789";

    private readonly WebApplication _app;

    private TestServer(WebApplication app, string database)
    {
        _app = app;
        Database = database;
        BaseAddress = new Uri(app.Urls.First());
        Client = NewClient();
    }

    public string Database { get; }
    public Uri BaseAddress { get; }
    /// <summary>A client without a key; tests add the key they mean to use per request.</summary>
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(string database, params string[] settings)
    {
        string[] args =
        [
            "--db", database,
            "--urls", "http://127.0.0.1:0",
            "--API_KEY", AdminKey,
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore", "Error",
            // Tests send far more than the platform's per-key limits; RateLimitTests turns them back on.
            "--RateLimits:Enabled", "false",
            .. settings,
        ];
        var app = await FleetwatchApp.BuildAsync(args);
        await app.StartAsync();
        return new TestServer(app, database);
    }

    public HttpClient NewClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A project of its own for one test, and a key of <paramref name="role"/> for it.</summary>
    public async Task<(long ProjectId, string Key)> NewProjectKeyAsync(KeyRole role = KeyRole.Admin, string? project = null)
    {
        var database = Services.GetRequiredService<IDatabase>();
        var projectId = await database.EnsureProjectAsync("tests", project ?? "p-" + Guid.NewGuid().ToString("N")[..12], CancellationToken.None);
        return (projectId, await NewKeyAsync(projectId, role));
    }

    public async Task<string> NewKeyAsync(long projectId, KeyRole role)
    {
        var key = ApiKeys.Generate(projectId, role, "test");
        await Services.GetRequiredService<IApiKeyStore>().InsertKeyAsync(key, CancellationToken.None);
        return key.Plaintext;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class HttpExtensions
{
    public static HttpRequestMessage WithKey(this HttpRequestMessage request, string? key)
    {
        if (key is not null) request.Headers.Add("X-API-Key", key);
        return request;
    }

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string url, string? key) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url).WithKey(key));

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string url, T body, string? key) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) }.WithKey(key));

    public static Task<HttpResponseMessage> SendJsonAsync<T>(this HttpClient client, HttpMethod method, string url, T body, string? key) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) }.WithKey(key));

    public static Task<HttpResponseMessage> DeleteAsync(this HttpClient client, string url, string? key) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, url).WithKey(key));

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body, string? key, string contentType = "application/json") =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, contentType) }.WithKey(key));
}
