using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Metrics;

/// <summary><c>GET /metrics</c> after known traffic: the seed's fleet metrics per project, ingest counters, HTTP histograms.</summary>
public abstract partial class MetricsTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\\{[^}]*\\})? (?<value>\\S+)$", RegexOptions.Multiline)]
    private static partial Regex Sample();

    public static async Task<string> ScrapeAsync(TestServer server)
    {
        var response = await server.Client.GetAsync("/metrics", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static double? Value(string exposition, string name, string labels)
    {
        foreach (Match m in Sample().Matches(exposition))
        {
            if (m.Groups["name"].Value == name && m.Groups["labels"].Value == labels) return double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    [Fact]
    public async Task FleetMetrics_PerProject_MatchTheTrafficSent()
    {
        var (projectId, key) = await Server.NewProjectKeyAsync();
        var client = Server.Client;
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        foreach (var (device, battery, online) in new[] { ("m-1", 10, true), ("m-2", 50, true), ("m-3", 90, false) })
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/status", new { device_id = device, timestamp = now, battery_level = battery, rssi = -60, online }, key)).StatusCode);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/api/v1/devices/m-1/heartbeat", new { sent_at = now }, key)).StatusCode);
        var before = Value(await ScrapeAsync(Server), "fleetwatch_ingest_rejected_total", "{reason=\"invalid\"}") ?? 0;
        await (await client.PostJsonAsync("/status", new { device_id = "m-1" }, key)).ProblemAsync(422);

        var metrics = await ScrapeAsync(Server);
        var project = $"{{project=\"{projectId}\"}}";
        Assert.Equal(2, Value(metrics, "online_devices", project));
        Assert.Equal(1, Value(metrics, "offline_devices", project));
        Assert.Equal(1, Value(metrics, "at_risk_devices", project));
        Assert.Equal(50, Value(metrics, "average_battery", project));
        // Each accepted status is its device's heartbeat too: 2 heartbeats + 3 statuses (the rejected one does not count).
        Assert.Equal(5, Value(metrics, "heartbeat_count_total", project));
        Assert.Equal(before + 1, Value(metrics, "fleetwatch_ingest_rejected_total", "{reason=\"invalid\"}"));
        Assert.True(Value(metrics, "fleetwatch_ingest_events_total", "{kind=\"status\"}") >= 3);
        Assert.True(Value(metrics, "fleetwatch_ingest_commit_duration_seconds_count", "") > 0);
        Assert.Matches("http_request_duration_seconds_bucket\\{code=\"201\",method=\"POST\",[^}]*endpoint=\"/status/?\",le=", metrics);
        Assert.NotNull(Value(metrics, "fleetwatch_ingest_queue_depth", ""));
        Assert.NotNull(Value(metrics, "fleetwatch_stream_subscribers", ""));

        // The summary counts at-risk devices by the same rule.
        Assert.Equal(1, (await (await client.GetAsync("/status/summary", key)).ReadJsonAsync()).Int("at_risk_devices"));
    }

    [Fact]
    public async Task FleetwatchDevices_CountsEveryRegisteredDevice_WithAStatusOrNot()
    {
        var tenant = await Tenant.CreateAsync(Server);
        for (var i = 0; i < 4; i++) await tenant.AddDeviceAsync(Server, $"registered-{i}");
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await Server.Client.PostJsonAsync("/status", new { device_id = "registered-0", timestamp = now, battery_level = 50, rssi = -60, online = true }, tenant.Key);

        var metrics = await ScrapeAsync(Server);
        var project = $"{{project=\"{tenant.ProjectId}\"}}";
        Assert.Equal(4, Value(metrics, "fleetwatch_devices", project));
        Assert.Equal(1, Value(metrics, "online_devices", project));
    }

    [Fact]
    public async Task TheSeedMetrics_ExistFromStartUp_BeforeAnyTraffic()
    {
        await using var server = await TestServer.StartAsync(await fixture.Backend.CreateDatabaseAsync());
        var defaultProject = server.Services.GetRequiredService<Fleetwatch.Auth.Tenancy>().DefaultProjectId;
        var metrics = await ScrapeAsync(server);
        var project = $"{{project=\"{defaultProject}\"}}";
        foreach (var name in new[] { "online_devices", "at_risk_devices", "average_battery", "heartbeat_count_total" })
            Assert.True(Value(metrics, name, project) == 0, $"{name}{project} is missing or not 0:\n{metrics}");
    }
}

public sealed class SqliteMetricsTests(SqliteServerFixture fixture) : MetricsTests(fixture), IClassFixture<SqliteServerFixture>
{
    /// <summary>promtool (Debian's prometheus package, installed by test.sh) accepts the exposition.</summary>
    [Fact]
    public async Task TheExposition_PassesPromtool()
    {
        await fixture.Server.Client.PostJsonAsync("/status", new { device_id = "p-1", timestamp = "2026-01-01T00:00:00Z", battery_level = 5, rssi = -60, online = true }, TestServer.AdminKey);
        var exposition = await ScrapeAsync(fixture.Server);
        var info = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var promtool = Process.Start(info) ?? throw new InvalidOperationException("promtool is not installed: run the tests with ./test.sh");
        await promtool.StandardInput.WriteAsync(exposition);
        promtool.StandardInput.Close();
        var complaints = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        // Not even a lint warning (exit 3): Prometheus users run this check in their own pipelines.
        Assert.True(promtool.ExitCode == 0 && complaints.Trim().Length == 0, $"exit {promtool.ExitCode}: {complaints}");
    }

    /// <summary>Every metric the shipped Grafana dashboard queries is exported.</summary>
    [Fact]
    public async Task EveryMetricTheDashboardQueries_IsExported()
    {
        await fixture.Server.Client.PostJsonAsync("/status", new { device_id = "g-1", timestamp = "2026-01-01T00:00:00Z", battery_level = 5, rssi = -60, online = true }, TestServer.AdminKey);
        await fixture.Server.Client.PostJsonAsync("/api/v1/devices/g-1/heartbeat", new { sent_at = "2026-01-01T00:00:00Z" }, TestServer.AdminKey);
        await fixture.Server.Client.PostJsonAsync("/status", new { device_id = 1 }, TestServer.AdminKey);
        var exposition = await ScrapeAsync(fixture.Server);
        var exported = Regex.Matches(exposition, "^# TYPE (\\S+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();

        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy/grafana/fleetwatch-dashboard.json")));
        var queried = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.Str("expr")))
            .SelectMany(expr => Regex.Matches(expr, "[a-z_]+(?:_total|_devices|_active|_inactive|_battery|_bucket|_depth|_subscribers)\\b").Select(m => m.Value))
            .Select(name => name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^"_bucket".Length] : name)
            .ToHashSet();
        Assert.True(queried.Count >= 10, string.Join(", ", queried));
        var missing = queried.Where(name => !exported.Contains(name)).ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Fleetwatch.slnx"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found");
    }
}

public sealed class PostgresMetricsTests(PostgresServerFixture fixture) : MetricsTests(fixture), IClassFixture<PostgresServerFixture>;
