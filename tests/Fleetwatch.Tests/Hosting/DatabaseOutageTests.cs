using System.Net;
using System.Net.Http.Json;
using Fleetwatch.Auth;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Fleetwatch.Tests.Hosting;

/// <summary>
/// A database failure on any route is 503 with Retry-After (CONTRACTS.md), never a 500: key lookups, reads and
/// writes alike. Swept over every mapped route, so a new route is covered the day it is added.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    /// <summary>Bodies that pass validation, so each write reaches the database; other routes get <c>{}</c>.</summary>
    private static readonly Dictionary<string, object> Bodies = new()
    {
        ["POST /status"] = new { device_id = "cam", timestamp = "2025-01-01T00:00:00Z", battery_level = 50, rssi = -60, online = true },
        ["POST /api/v1/devices/{device_id}/heartbeat"] = new { sent_at = "2025-01-01T00:00:00Z" },
        ["POST /api/v1/devices/{device_id}/stats"] = new { sent_at = "2025-01-01T00:00:00Z", upload_time = 5 },
        ["POST /telemetry"] = new { device_external_id = "cam", events = new[] { new { ts = 1, data = new { t = 1 } } } },
        ["POST /api/v1/ingest"] = new { temperature = 20 },
        ["POST /api/v1/ingest/batch"] = new[] { new { temperature = 20 } },
        ["POST /api/v1/devices"] = new { device_id = "new-one" },
        ["POST /orgs"] = new { name = "org-during-outage" },
        ["POST /orgs/{org_id:long}/projects"] = new { name = "p" },
        ["POST /projects/{project_id:long}/devices"] = new { external_id = "new-one", name = "n" },
        ["POST /projects/{project_id:long}/rules"] = new { name = "r", metric = "t", threshold = 1 },
        ["PATCH /rules/{rule_id:long}"] = new { enabled = false },
        ["POST /rules/{rule_id:long}/devices"] = new { device_ids = Array.Empty<long>() },
        ["POST /projects/{project_id:long}/webhooks"] = new { url = "http://127.0.0.1:9/hook" },
    };

    private sealed record Setup(Dictionary<string, string> Values, string ProjectKey, string DeviceKey);

    /// <summary>A device "cam" of the default project, known to every API, with a rule, a webhook and keys.</summary>
    private static async Task<Setup> SetUpAsync(TestServer server)
    {
        var client = server.Client;
        var registered = await client.PostJsonAsync("/api/v1/devices", new { device_id = "cam" }, TestServer.AdminKey);
        var deviceKey = (await registered.ReadJsonAsync()).GetProperty("data").Str("api_key");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/status", Bodies["POST /status"], TestServer.AdminKey)).StatusCode);
        var projectId = server.Services.GetRequiredService<Tenancy>().DefaultProjectId;
        var projectKey = await server.NewKeyAsync(projectId, KeyRole.Admin);
        var project = await (await client.GetAsync($"/projects/{projectId}", projectKey)).ReadJsonAsync();
        var deviceId = (await (await client.GetAsync($"/projects/{projectId}/devices", projectKey)).ReadJsonAsync())[0].Long("id");
        var rule = await (await client.PostJsonAsync($"/projects/{projectId}/rules", Bodies["POST /projects/{project_id:long}/rules"], projectKey)).ReadJsonAsync();
        var webhook = await (await client.PostJsonAsync($"/projects/{projectId}/webhooks", Bodies["POST /projects/{project_id:long}/webhooks"], projectKey)).ReadJsonAsync();
        var values = new Dictionary<string, string>
        {
            ["device_id"] = "cam",
            ["device_id:long"] = deviceId.ToString(),
            ["project_id:long"] = projectId.ToString(),
            ["org_id:long"] = project.Long("org_id").ToString(),
            ["rule_id:long"] = rule.Long("id").ToString(),
            ["webhook_id:long"] = webhook.Long("id").ToString(),
            ["alert_id:long"] = "1",
            ["delivery_id:long"] = "1",
            ["prefix"] = projectKey[..8],
            ["path"] = "index.html",
        };
        return new Setup(values, projectKey, deviceKey);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, RouteSweep.Route route, string key)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path).WithKey(key);
        if (route.Method != "GET") request.Content = JsonContent.Create(Bodies.GetValueOrDefault($"{route.Method} {route.Pattern}") ?? new { });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // Headers only: the live streams answer from memory and never end by themselves.
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    /// <summary>Sends every route with each key; returns "route key → status" for the report, failing on a 500 or a 503 without Retry-After.</summary>
    private async Task<Dictionary<string, int>> SweepAsync(TestServer server, Setup setup)
    {
        var statuses = new Dictionary<string, int>();
        var failures = new List<string>();
        foreach (var route in RouteSweep.All(server, setup.Values))
        {
            // The three keys at once: on SQLite each refused write waits out the lock timeout.
            var keys = new[] { ("admin", TestServer.AdminKey), ("project", setup.ProjectKey), ("device", setup.DeviceKey) };
            var responses = await Task.WhenAll(keys.Select(k => SendAsync(server.Client, route, k.Item2)));
            foreach (var ((keyName, _), response) in keys.Zip(responses))
            {
                using (response)
                {
                    var status = (int)response.StatusCode;
                    statuses[$"{route} {keyName}"] = status;
                    // Health probes answer 503 with their contract's body; every other refusal is a problem.
                    var expectedType = route.Pattern.Contains("health", StringComparison.Ordinal) ? "application/json" : "application/problem+json";
                    if (status >= 500 && (status != 503 || !response.Headers.Contains("Retry-After") || response.Content.Headers.ContentType?.MediaType != expectedType))
                        failures.Add($"{route} with the {keyName} key: {status} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        output.WriteLine(string.Join("\n", statuses.Select(s => $"{s.Value} {s.Key}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        return statuses;
    }

    [Fact]
    public async Task WhilePostgresIsDown_EveryRouteThatNeedsIt_Is503WithRetryAfter_NeverA500_AndNothingIsLostAfter()
    {
        var database = new NpgsqlConnectionStringBuilder(await new PostgresBackend().CreateDatabaseAsync());
        await using var proxy = TcpProxy.Start(database.Host!, database.Port);
        database.Host = "127.0.0.1";
        database.Port = proxy.Port;
        database.Timeout = 3;
        await using var server = await TestServer.StartAsync(database.ConnectionString, "--Auth:CacheSeconds", "0");
        var setup = await SetUpAsync(server);

        proxy.Cut();
        var statuses = await SweepAsync(server, setup);
        // The ones clients of the old services hit first (issue 14): device-key auth on ingest, and the history reads.
        Assert.Equal(503, statuses["POST /api/v1/ingest device"]);
        Assert.Equal(503, statuses["POST /api/v1/ingest/batch device"]);
        Assert.Equal(503, statuses["GET /status/{device_id}/history admin"]);
        Assert.Equal(503, statuses["GET /api/v1/devices/{device_id}/history admin"]);
        Assert.Equal(503, statuses["POST /status admin"]);
        Assert.Equal(503, statuses["GET /status/summary project"]);

        // Back up: the server serves again without a restart, and the status refused meanwhile was never stored.
        proxy.Restore();
        HttpResponseMessage? after = null;
        for (var i = 0; i < 100 && after?.StatusCode != HttpStatusCode.Created; i++)
        {
            if (i > 0) await Task.Delay(100);
            after = await server.Client.PostJsonAsync("/status", new { device_id = "cam", timestamp = "2025-01-02T00:00:00Z", battery_level = 1, rssi = -1, online = false }, TestServer.AdminKey);
        }
        Assert.Equal(HttpStatusCode.Created, after!.StatusCode);
        var history = await (await server.Client.GetAsync("/status/cam/history", TestServer.AdminKey)).ReadJsonAsync();
        Assert.Equal(["2025-01-02T00:00:00Z", "2025-01-01T00:00:00Z"], history.GetProperty("history").EnumerateArray().Select(s => s.Str("timestamp")));
    }

    [Fact]
    public async Task WhileAnotherProcessHoldsTheSqliteWriteLock_EveryWrite_Is503WithRetryAfter_NeverA500()
    {
        var file = await new SqliteBackend().CreateDatabaseAsync();
        // One second of waiting for the lock instead of the default thirty.
        await using var server = await TestServer.StartAsync($"Data Source={file};Default Timeout=1", "--Auth:CacheSeconds", "0");
        var setup = await SetUpAsync(server);

        await using var holder = new SqliteConnection($"Data Source={file}");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }
        var statuses = await SweepAsync(server, setup);
        Assert.Equal(503, statuses["POST /status admin"]);
        Assert.Equal(503, statuses["POST /api/v1/ingest device"]);
        Assert.Equal(503, statuses["POST /projects/{project_id:long}/devices project"]);
        Assert.Equal(503, statuses["POST /projects/{project_id:long}/rules project"]);
    }
}
