using System.Net;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Transfer;

/// <summary>
/// Two servers on one PostgreSQL: history imported through one is announced to the other as backfill, so the other
/// node's live streams do not carry it either, while its latest-status state still takes it in.
/// </summary>
public sealed class CrossNodeImportTests
{
    [Fact]
    public async Task HistoryImportedOnOneNode_ReachesNoStreamOnTheOther_ButItsLatestStatus()
    {
        var database = await new PostgresBackend().CreateDatabaseAsync();
        await using var a = await TestServer.StartAsync(database, "--Auth:CacheSeconds", "0");
        await using var b = await TestServer.StartAsync(database, "--Auth:CacheSeconds", "0");
        var tenant = await Tenant.CreateAsync(a);
        var deviceId = await tenant.AddDeviceAsync(a, "far");
        await using var stream = await LiveStream.ConnectAsync(b, "/api/v1/realtime/subscribe/far", tenant.Key);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        var ts = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var line = $$$"""{"device_id":"far","ts":"{{{ts}}}","kind":"status","payload":{"battery_level":42,"rssi":-70,"online":true}}""";
        var imported = await a.Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=ndjson", line, tenant.Key, "application/x-ndjson");
        Assert.Equal(1, (await imported.ReadJsonAsync()).Long("imported"));

        // Node B learns the status (its latest, as the device has no newer one) …
        for (var waited = 0; waited < 5000; waited += 50)
        {
            var latest = await b.Client.GetAsync($"/status/far", tenant.Key);
            if (latest.StatusCode == HttpStatusCode.OK && (await latest.ReadJsonAsync()).Long("battery_level") == 42) break;
            await Task.Delay(50);
        }
        Assert.Equal(42, (await (await b.Client.GetAsync($"/status/far", tenant.Key)).ReadJsonAsync()).Long("battery_level"));
        // … but its stream's next frame is the live reading posted after the import, not the imported one.
        Assert.Equal(HttpStatusCode.Accepted, (await a.Client.PostJsonAsync("/telemetry",
            new { device_external_id = "far", events = new[] { new { ts = DateTime.UtcNow.ToString("O"), data = new { temperature = 5 } } } }, tenant.Key)).StatusCode);
        var frame = await stream.ReceiveAsync();
        Assert.Equal(5, frame.GetProperty("data").GetProperty("metrics").GetProperty("temperature").GetDouble());
    }
}
