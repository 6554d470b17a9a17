using System.Net;
using System.Text;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.TelemetryBackend;

/// <summary>The telemetry backend's device registry, ingest and reads (CONTRACTS.md §4), on each backend.</summary>
public abstract class BackendApiTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private HttpClient Client => fixture.Server.Client;

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<(string DeviceId, string Key)> RegisterAsync(string? deviceId = null)
    {
        deviceId ??= NewId("dev");
        var response = await Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId, name = "Greenhouse sensor" }, TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (deviceId, (await response.ReadJsonAsync()).GetProperty("data").Str("api_key"));
    }

    private static async Task<JsonElement> CodedAsync(HttpResponseMessage response, int status, string code)
    {
        var problem = await response.ProblemAsync(status);
        Assert.False(problem.Bool("success"));
        Assert.Equal(code, problem.Str("code"));
        Assert.Equal(problem.Str("detail"), problem.Str("error"));
        return problem;
    }

    [Fact]
    public async Task Register_ReturnsTheDevicesOwnKeyOnce_InTheEnvelope()
    {
        var deviceId = NewId("reg");
        var response = await Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.True(body.Bool("success"));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("error").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("code").ValueKind);
        Assert.EndsWith("Z", body.Str("timestamp"));
        var data = body.GetProperty("data");
        Assert.True(Guid.TryParse(data.Str("id"), out _));
        Assert.Equal(deviceId, data.Str("device_id"));
        Assert.Equal(deviceId, data.Str("name"));
        Assert.Matches("^[0-9a-f]{8}\\.", data.Str("api_key"));
        Assert.False(string.IsNullOrEmpty(data.Str("message")));

        await CodedAsync(await Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey), 409, "DEVICE_EXISTS");
        var invalid = await CodedAsync(await Client.PostJsonAsync("/api/v1/devices", new { device_id = "bad id!" }, TestServer.AdminKey), 422, "VALIDATION_ERROR");
        Assert.Contains("device_id", invalid.Str("detail"));
        await CodedAsync(await Client.PostJsonAsync("/api/v1/devices", new { device_id = "x" }, key: null), 401, "AUTHENTICATION_FAILED");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/devices", new { device_id = "x" }, data.Str("api_key")), 403, "AUTHENTICATION_FAILED");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/devices", new { device_id = "x" }, "0123abcd.wrong"), 403, "AUTHENTICATION_FAILED");
    }

    [Fact]
    public async Task Ingest_OneReading_FlatOrNested_WithServerTimestamps()
    {
        var (deviceId, key) = await RegisterAsync();
        var before = DateTime.UtcNow.AddSeconds(-1);
        var flat = await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 22.5, humidity = 65, firmware = "ignored" }, key);
        Assert.Equal(HttpStatusCode.Created, flat.StatusCode);
        var reading = (await flat.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(deviceId, reading.Str("device_id"));
        Assert.Equal(22.5, reading.GetProperty("metrics").GetProperty("temperature").GetDouble());
        Assert.Equal(65, reading.GetProperty("metrics").Int("humidity"));
        Assert.False(reading.GetProperty("metrics").TryGetProperty("firmware", out _));
        Assert.InRange(DateTime.Parse(reading.Str("timestamp"), null, System.Globalization.DateTimeStyles.AdjustToUniversal), before, DateTime.UtcNow.AddSeconds(1));

        var nested = await Client.PostJsonAsync("/api/v1/ingest", new { device_id = deviceId, metrics = new { voltage = 3.3, co2 = 415 } }, key);
        Assert.Equal(HttpStatusCode.Created, nested.StatusCode);
        Assert.Equal(415, (await nested.ReadJsonAsync()).GetProperty("data").GetProperty("metrics").Int("co2"));

        var (otherId, _) = await RegisterAsync();
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { device_id = otherId, metrics = new { voltage = 1 } }, key), 403, "AUTHENTICATION_FAILED");
        var range = await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 90 }, key), 422, "VALIDATION_ERROR");
        Assert.Contains("temperature", range.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        // No numeric metrics at all is INVALID_PAYLOAD; a known metric out of its range, VALIDATION_ERROR (CONTRACTS.md §4).
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { metrics = new { humidity = "wet" } }, key), 422, "INVALID_PAYLOAD");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { firmware = "1.0" }, key), 422, "INVALID_PAYLOAD");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { metrics = new { } }, key), 422, "INVALID_PAYLOAD");
        await CodedAsync(await Client.PostRawAsync("/api/v1/ingest", "{\"temperature\": ", key), 400, "INVALID_PAYLOAD");
        Assert.Equal("Missing X-API-Key header", (await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 1 }, key: null), 401, "AUTHENTICATION_FAILED")).Str("detail"));
        Assert.Equal("Invalid API key", (await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 1 }, "0123abcd.wrong"), 403, "AUTHENTICATION_FAILED")).Str("detail"));
        Assert.Equal("Device not found: nobody",
            (await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { device_id = "nobody", temperature = 1 }, TestServer.AdminKey), 404, "DEVICE_NOT_FOUND")).Str("detail"));

        // Only the two accepted readings were stored.
        var history = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(2, history.GetArrayLength());
    }

    [Fact]
    public async Task Ingest_Batch_IsAllOrNothing()
    {
        var (deviceId, key) = await RegisterAsync();
        var response = await Client.PostJsonAsync("/api/v1/ingest/batch", new object[] { new { temperature = 1 }, new { temperature = 2 }, new { humidity = 3 } }, key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var readings = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(3, readings.GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/ingest/batch", new { readings = new[] { new { temperature = 4 } } }, key)).StatusCode);

        var bad = await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest/batch", new object[] { new { temperature = 5 }, new { temperature = 500 } }, key), 422, "VALIDATION_ERROR");
        Assert.Equal(["[1].temperature"], bad.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var json = new StringBuilder("[");
        for (var i = 0; i < 5001; i++) json.Append(i == 0 ? "" : ",").Append("{\"temperature\":1}");
        await CodedAsync(await Client.PostRawAsync("/api/v1/ingest/batch", json.Append(']').ToString(), key), 422, "VALIDATION_ERROR");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest/batch", Array.Empty<object>(), key), 422, "INVALID_PAYLOAD");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest/batch", new object[] { new { temperature = 5 }, new { label = "x" } }, key), 422, "INVALID_PAYLOAD");

        var history = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(4, history.GetArrayLength());
    }

    [Fact]
    public async Task Devices_ListGetDeactivateRotate()
    {
        var (deviceId, key) = await RegisterAsync();
        var missing = await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}-x", key: null), 404, "DEVICE_NOT_FOUND");
        Assert.Equal($"Device not found: {deviceId}-x", missing.Str("detail"));
        var device = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.True(device.Bool("is_active"));
        Assert.Equal(JsonValueKind.Null, device.GetProperty("last_seen_at").ValueKind);

        await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 20 }, key);
        device = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.EndsWith("Z", device.Str("last_seen_at"));
        var listed = (await (await Client.GetAsync("/api/v1/devices", TestServer.AdminKey)).ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Single(d => d.Str("device_id") == deviceId);
        Assert.Equal(1, listed.Int("reading_count"));
        Assert.Equal(20, listed.GetProperty("latest_reading").GetProperty("metrics").Int("temperature"));

        var rotated = await Client.PostJsonAsync($"/api/v1/devices/{deviceId}/rotate-key", new { }, TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newKey = (await rotated.ReadJsonAsync()).GetProperty("data").Str("api_key");
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 21 }, key), 403, "AUTHENTICATION_FAILED");
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 21 }, newKey)).StatusCode);

        var deactivated = await Client.DeleteAsync($"/api/v1/devices/{deviceId}", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.False((await deactivated.ReadJsonAsync()).GetProperty("data").Bool("is_active"));
        await CodedAsync(await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 22 }, newKey), 409, "DEVICE_INACTIVE");
        var active = (await (await Client.GetAsync("/api/v1/devices", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.DoesNotContain(deviceId, active.EnumerateArray().Select(d => d.Str("device_id")));
        // Its data stays readable.
        Assert.Equal(2, (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history", key: null)).ReadJsonAsync()).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task LatestAndHistory_WithKeysetPagination_Order_AndMetricFilter()
    {
        var (deviceId, _) = await RegisterAsync();
        Assert.Equal(JsonValueKind.Null, (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/latest", key: null)).ReadJsonAsync()).GetProperty("data").ValueKind);
        var events = Enumerable.Range(0, 25).Select(i => i % 5 == 4
            ? (object)new { ts = $"2025-01-01T00:{i:00}:00Z", data = new { humidity = i } }
            : new { ts = $"2025-01-01T00:{i:00}:00Z", data = new { temperature = i } }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = deviceId, events }, TestServer.AdminKey)).StatusCode);
        await Client.PostJsonAsync("/status", new { device_id = deviceId, timestamp = "2025-01-01T00:30:00Z", battery_level = 80, rssi = -60, online = true }, TestServer.AdminKey);
        await Client.PostJsonAsync($"/api/v1/devices/{deviceId}/heartbeat", new { sent_at = "2025-01-01T00:31:00Z" }, TestServer.AdminKey);

        var latest = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/latest", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(80, latest.GetProperty("metrics").Int("battery_level"));

        const string range = "start=2025-01-01T00:00:00Z&end=2025-01-01T01:00:00Z";
        var seen = new List<string>();
        var url = $"/api/v1/devices/{deviceId}/history?{range}&limit=10";
        var pages = 0;
        while (url is not null)
        {
            var response = await Client.GetAsync(url, key: null);
            // data is a plain list of Readings, oldest first, as the original answers; paging is in headers.
            var page = (await response.ReadJsonAsync()).GetProperty("data");
            seen.AddRange(page.EnumerateArray().Select(r => r.Str("timestamp")));
            var cursor = response.Headers.TryGetValues("X-Next-Cursor", out var values) ? values.Single() : null;
            var link = response.Headers.TryGetValues("Link", out var links) ? links.Single() : null;
            Assert.Equal(cursor is null, link is null);
            if (link is not null) Assert.Matches($"^</api/v1/devices/{deviceId}/history\\?.*cursor={cursor}.*>; rel=\"next\"$", link);
            url = link?[1..link.IndexOf('>')];
            pages++;
        }
        // 25 measurements and the status; the bare heartbeat carries no values and is no reading.
        Assert.Equal(3, pages);
        Assert.Equal(26, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal("2025-01-01T00:30:00Z", seen[^1]);

        var desc = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history?{range}&order=desc&limit=2", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(["2025-01-01T00:30:00Z", "2025-01-01T00:24:00Z"], desc.EnumerateArray().Select(r => r.Str("timestamp")));
        var humidity = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history?{range}&metric=humidity", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal([4, 9, 14, 19, 24], humidity.EnumerateArray().Select(r => r.GetProperty("metrics").Int("humidity")));

        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/history?start=2025-01-02T00:00:00Z&end=2025-01-01T00:00:00Z", key: null), 400, "VALIDATION_ERROR");
        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/history?limit=0", key: null), 422, "VALIDATION_ERROR");
        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/history?limit=10001", key: null), 422, "VALIDATION_ERROR");
        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/history?range=forever", key: null), 422, "VALIDATION_ERROR");
        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/history?cursor=nonsense", key: null), 422, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Readings_HaveStableStringUuids_AndAStatusIsAReadingOfItsDevice_InHistoryAndOnItsStream()
    {
        var (deviceId, key) = await RegisterAsync();
        await using var stream = await LiveStream.ConnectAsync(Server, $"/api/v1/realtime/subscribe/{deviceId}", key);
        Assert.Equal($"Subscribed to device: {deviceId}", (await stream.ReceiveAsync()).Str("message"));

        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/status",
            new { device_id = deviceId, timestamp = DateTime.UtcNow.AddSeconds(-2).ToString("O"), battery_level = 77, rssi = -61, online = true }, TestServer.AdminKey)).StatusCode);
        var ingested = (await (await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 21.5 }, key)).ReadJsonAsync()).GetProperty("data");
        Assert.True(Guid.TryParse(ingested.Str("id"), out _), ingested.Str("id"));

        var pushed = new[] { await stream.ReceiveAsync(), await stream.ReceiveAsync() };
        Assert.All(pushed, frame => Assert.Equal("reading", frame.Str("type")));
        var status = pushed[0].GetProperty("data");
        // A status's numeric fields are the Reading's metrics; its online flag is no number.
        Assert.Equal(["battery_level", "rssi"], status.GetProperty("metrics").EnumerateObject().Select(m => m.Name));
        Assert.Equal(77, status.GetProperty("metrics").Int("battery_level"));
        Assert.Equal(ingested.Str("id"), pushed[1].GetProperty("data").Str("id"));

        var history = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/history", key: null)).ReadJsonAsync()).GetProperty("data");
        // The same reading has the same UUID in every answer, and the two are told apart.
        Assert.Equal([status.Str("id"), ingested.Str("id")], history.EnumerateArray().Select(r => r.Str("id")));
        Assert.Equal(ingested.Str("id"), (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/latest", key: null)).ReadJsonAsync()).GetProperty("data").Str("id"));
        Assert.Equal(["id", "device_id", "metrics", "timestamp"], history[1].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Aggregate_OverARange_AndOverUtcBuckets()
    {
        var (deviceId, _) = await RegisterAsync();
        // Hour 00: temperatures 10, 20, 30; hour 01: nothing; hour 02: 40 and a humidity.
        object At(string ts, object data) => new { ts, data };
        await Client.PostJsonAsync("/telemetry", new
        {
            device_external_id = deviceId,
            events = new[]
            {
                At("2025-01-01T00:10:00Z", new { temperature = 10 }), At("2025-01-01T00:20:00Z", new { temperature = 20 }),
                At("2025-01-01T00:59:59Z", new { temperature = 30 }), At("2025-01-01T02:00:00Z", new { temperature = 40, humidity = 50.5 }),
            },
        }, TestServer.AdminKey);
        const string range = "start=2025-01-01T00:00:00Z&end=2025-01-01T03:00:00Z";

        var total = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?{range}", key: null)).ReadJsonAsync()).GetProperty("data");
        Assert.Equal(deviceId, total.Str("device_id"));
        Assert.Equal(4, total.Int("reading_count"));
        Assert.Equal("2025-01-01T00:10:00Z", total.Str("first_reading"));
        Assert.Equal("2025-01-01T02:00:00Z", total.Str("last_reading"));
        var temperature = total.GetProperty("temperature");
        Assert.Equal(10, temperature.GetProperty("min").GetDouble());
        Assert.Equal(40, temperature.GetProperty("max").GetDouble());
        Assert.Equal(25, temperature.GetProperty("avg").GetDouble());
        Assert.Equal(100, temperature.GetProperty("sum").GetDouble());
        Assert.Equal(4, temperature.Int("count"));
        Assert.Equal(40, temperature.GetProperty("last").GetDouble());
        Assert.Equal("°C", temperature.Str("unit"));
        Assert.Equal(1, total.GetProperty("humidity").Int("count"));

        var hourly = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?{range}&bucket=1h&metric=temperature", key: null)).ReadJsonAsync()).GetProperty("data");
        var buckets = hourly.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(["2025-01-01T00:00:00Z", "2025-01-01T02:00:00Z"], buckets.Select(b => b.Str("start")));
        Assert.Equal(3, buckets[0].Int("reading_count"));
        Assert.Equal(20, buckets[0].GetProperty("metrics").GetProperty("temperature").GetProperty("avg").GetDouble());
        Assert.Equal(30, buckets[0].GetProperty("metrics").GetProperty("temperature").GetProperty("last").GetDouble());
        Assert.False(hourly.TryGetProperty("humidity", out _));

        var withEmpty = (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?{range}&bucket=1h&empty=null", key: null)).ReadJsonAsync()).GetProperty("data");
        var all = withEmpty.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(4, all.Count); // 00, 01, 02 and the bucket holding the range's inclusive end, 03
        Assert.Equal(0, all[1].Int("reading_count"));
        Assert.Equal(JsonValueKind.Null, all[1].GetProperty("metrics").GetProperty("temperature").ValueKind);

        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?{range}&bucket=2h", key: null), 422, "VALIDATION_ERROR");
        await CodedAsync(await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?range=365d&bucket=1m", key: null), 422, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task HourlyRollups_AgreeWithRawRows_AndFollowLateWrites()
    {
        var (deviceId, _) = await RegisterAsync();
        // Three days of readings every 7 minutes, values that make sums and extremes easy to get wrong.
        var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var events = Enumerable.Range(0, 3 * 24 * 60 / 7).Select(i => new
        {
            ts = start.AddMinutes(i * 7).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            data = new { temperature = (i * 37 % 101) - 40.5, humidity = i % 3 == 0 ? (int?)(i % 100) : null },
        }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostJsonAsync("/telemetry", new { device_external_id = deviceId, events }, TestServer.AdminKey)).StatusCode);
        const string range = "start=2025-03-01T00:30:00Z&end=2025-03-03T23:10:00Z";

        async Task<JsonElement> Aggregate(string query) =>
            (await (await Client.GetAsync($"/api/v1/devices/{deviceId}/aggregate?{range}&{query}", key: null)).ReadJsonAsync()).GetProperty("data");
        var raw = await Aggregate("bucket=15m&metric=temperature");
        var rolled = await Aggregate("bucket=1d&metric=temperature");
        Assert.Equal("raw", raw.Str("source"));
        Assert.Equal("rollup", rolled.Str("source"));
        foreach (var name in new[] { "min", "max", "count", "last" })
            Assert.Equal(raw.GetProperty("temperature").GetProperty(name).GetDouble(), rolled.GetProperty("temperature").GetProperty(name).GetDouble());
        Assert.Equal(raw.GetProperty("temperature").GetProperty("sum").GetDouble(), rolled.GetProperty("temperature").GetProperty("sum").GetDouble(), 6);
        Assert.Equal(raw.Int("reading_count"), rolled.Int("reading_count"));
        Assert.Equal(raw.Str("first_reading"), rolled.Str("first_reading"));
        Assert.Equal(raw.Str("last_reading"), rolled.Str("last_reading"));
        Assert.Equal(3, rolled.GetProperty("buckets").GetArrayLength());
        var unfiltered = await Aggregate("bucket=1h");
        var inRange = events.Count(e => string.CompareOrdinal(e.ts, "2025-03-01T00:30:00Z") >= 0 && string.CompareOrdinal(e.ts, "2025-03-03T23:10:00Z") <= 0);
        Assert.Equal(inRange, unfiltered.Int("reading_count"));
        Assert.Equal(raw.GetProperty("temperature").GetProperty("count").GetInt32(), unfiltered.GetProperty("temperature").Int("count"));

        // A late write into a rolled-up hour: the next answer includes it.
        await Client.PostJsonAsync("/telemetry", new { device_external_id = deviceId, events = new[] { new { ts = "2025-03-02T12:34:56Z", data = new { temperature = 84.9 } } } }, TestServer.AdminKey);
        var after = await Aggregate("bucket=1d&metric=temperature");
        Assert.Equal(84.9, after.GetProperty("temperature").GetProperty("max").GetDouble());
        Assert.Equal(rolled.GetProperty("temperature").Int("count") + 1, after.GetProperty("temperature").Int("count"));
        var day = after.GetProperty("buckets").EnumerateArray().Single(b => b.Str("start") == "2025-03-02T00:00:00Z");
        Assert.Equal(84.9, day.GetProperty("metrics").GetProperty("temperature").GetProperty("max").GetDouble());
    }

    [Fact]
    public async Task Health_SaysHealthy_WithTheStreamCount()
    {
        var health = await (await Client.GetAsync("/api/v1/health", key: null)).ReadJsonAsync();
        Assert.Equal("healthy", health.Str("status"));
        Assert.Equal("connected", health.Str("database"));
        Assert.True(health.GetProperty("websocket_connections").GetInt32() >= 0);
    }
}

public sealed class SqliteBackendApiTests(SqliteServerFixture fixture) : BackendApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresBackendApiTests(PostgresServerFixture fixture) : BackendApiTests(fixture), IClassFixture<PostgresServerFixture>;
