using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Fleetwatch.Telemetry;
using Fleetwatch.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Transfer;

/// <summary>What an import does with what it is given: bad lines reported, repeats stored once, history that is not news.</summary>
public abstract partial class ExportImportTests
{
    [Fact]
    public async Task AnImport_ReportsEachBadLineByNumberAndField_AndStoresTheRest()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var ts = Ts(DateTime.UtcNow.AddDays(-1));
        var ndjson = string.Join('\n',
            $$$"""{"device_id":"pump","ts":"{{{ts}}}","kind":"measurement","payload":{"flow":1.5}}""",
            """{"device_id":"pump","ts":"yesterday","payload":{}}""",
            "not json",
            $$$"""{"device_id":"pump","ts":"{{{ts}}}","kind":"connectivity","payload":{}}""",
            $$$"""{"device_id":"pump","ts":"{{{ts}}}","kind":"status","payload":{"battery_level":1e400}}""",
            "",
            $$$"""{"ts":"{{{ts}}}","payload":{}}""",
            $$"""{"device_id":"pump","ts":"{{ts}}","kind":"heartbeat"}""") + "\n";
        var report = await ImportAsync(Server, tenant, "ndjson", System.Text.Encoding.UTF8.GetBytes(ndjson));
        Assert.Equal((2, 5), (report.Long("imported"), report.Long("rejected")));
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (e.Long("line"), e.Str("field"))).ToArray();
        Assert.Equal([(2, "ts"), (3, "line"), (4, "kind"), (5, "payload.battery_level"), (7, "device_id")], errors);

        var badHeader = await Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=csv", "device,time\nx,y\n", tenant.Key, "text/csv");
        Assert.Equal("header", (await badHeader.ProblemAsync(422)).GetProperty("errors").EnumerateObject().Single().Name);
        var csv = $"device_id,ts,kind,metric,value\npump,{ts},measurement,flow,abc\npump,{ts},upload_stat,upload_time,12\n";
        report = await ImportAsync(Server, tenant, "csv", System.Text.Encoding.UTF8.GetBytes(csv));
        Assert.Equal((1, 1), (report.Long("imported"), report.Long("rejected")));
        Assert.Equal((2, "value"), report.GetProperty("errors").EnumerateArray().Select(e => (e.Long("line"), e.Str("field"))).Single());

        // ThingsBoard's telemetry upload format, for one named device; its ts are Unix milliseconds.
        var millis = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        var thingsBoard = $$$"""[{"ts":{{{millis}}},"values":{"temperature":26,"humidity":40.5}},{"ts":{{{millis + 1000}}},"values":{"temperature":27}},{"values":{}}]""";
        report = await ImportAsync(Server, tenant, "thingsboard", System.Text.Encoding.UTF8.GetBytes(thingsBoard), "&device_id=tb-7");
        Assert.Equal((2, 1), (report.Long("imported"), report.Long("rejected")));
        var exported = System.Text.Encoding.UTF8.GetString(await ExportAsync(Server, tenant, "format=ndjson&kinds=measurement"));
        Assert.Contains($$$"""{"device_id":"tb-7","ts":"{{{DateTime.UnixEpoch.AddMilliseconds(millis).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'")}}}","kind":"measurement","payload":{"temperature":26,"humidity":40.5}}""", exported);
        Assert.Equal("device_id", (await (await Client.PostRawAsync($"/projects/{tenant.ProjectId}/import?format=thingsboard", thingsBoard, tenant.Key)).ProblemAsync(422))
            .GetProperty("errors").EnumerateObject().Single().Name);
    }

    [Fact]
    public async Task AFileRepeatingReadingsBatchesApart_StoresEachOnce_WhileItsBatchesAreInFlight()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var start = DateTime.UtcNow.AddDays(-6);
        // 3,000 readings, then the first 1,500 again: the repeats arrive while the batches holding the originals may still be committing.
        var lines = Enumerable.Range(0, 3000).Concat(Enumerable.Range(0, 1500))
            .Select(i => $$$"""{"device_id":"dup-{{{i % 3}}}","ts":"{{{Ts(start.AddSeconds(i))}}}","kind":"measurement","payload":{"n":{{{i}}}}}""");
        var report = await ImportAsync(Server, tenant, "ndjson", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines)));
        Assert.Equal((3000, 1500, 0), (report.Long("imported"), report.Long("duplicates"), report.Long("rejected")));
        var exported = System.Text.Encoding.UTF8.GetString(await ExportAsync(Server, tenant, "format=ndjson"));
        Assert.Equal(3000, exported.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ImportedHistory_IsRolledUp_ButRaisesNoAlert_ReachesNoStream_AndLeavesTheDeviceInactive()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var deviceId = await tenant.AddDeviceAsync(Server, "oven");
        var rule = new { name = "hot", metric = "temperature", threshold = 80, cooldown_seconds = 0 };
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules", rule, tenant.Key)).StatusCode);
        await using var stream = await LiveStream.ConnectAsync(Server, "/api/v1/realtime/subscribe/oven", tenant.Key);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        var now = DateTime.UtcNow;
        var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(-5);
        var lines = Enumerable.Range(0, 4).Select(i => $$$"""{"device_id":"oven","ts":"{{{Ts(hour.AddMinutes(i * 10))}}}","kind":"measurement","payload":{"temperature":{{{100 + i}}}}}""");
        var report = await ImportAsync(Server, tenant, "ndjson", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines)));
        Assert.Equal(4, report.Long("imported"));

        // Rolled up like any sealed hour.
        var rollups = Server.Services.GetRequiredService<IRollupStore>();
        var first = (hour - DateTime.UnixEpoch).Ticks / 10;
        var clock = Stopwatch.StartNew();
        HashSet<long> hours;
        do
        {
            hours = await rollups.RolledUpHoursAsync(deviceId, first, first, CancellationToken.None);
            if (hours.Count == 1) break;
            await Task.Delay(50);
        }
        while (clock.ElapsedMilliseconds < 10_000);
        var (_, metrics) = await rollups.ReadRollupsAsync(deviceId, first, first, null, CancellationToken.None);
        Assert.Equal((100, 103, 4), (metrics.Single().Min, metrics.Single().Max, metrics.Single().Count));

        // Not news: the device is not active, no alert was raised, and the first frame the stream carries is a live reading.
        var connectivity = await (await Client.GetAsync($"/projects/{tenant.ProjectId}/devices/{deviceId}/connectivity", tenant.Key)).ReadJsonAsync();
        Assert.NotEqual("active", connectivity.Str("state"));
        Assert.Equal(JsonValueKind.Null, connectivity.GetProperty("last_seen_at").ValueKind);
        await Task.Delay(300);
        Assert.Empty((await (await Client.GetAsync($"/projects/{tenant.ProjectId}/alerts", tenant.Key)).ReadJsonAsync()).EnumerateArray());
        var live = new { device_external_id = "oven", events = new[] { new { ts = Ts(DateTime.UtcNow), data = new { temperature = 20 } } } };
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", live, tenant.Key)).StatusCode);
        var frame = await stream.ReceiveAsync();
        Assert.Equal(20, frame.GetProperty("data").GetProperty("metrics").GetProperty("temperature").GetDouble());
    }
}
