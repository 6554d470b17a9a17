using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;

namespace Fleetwatch.Tests.Streams;

/// <summary>Live streams: every committed event of a device, whichever API stored it, in order; refused without a key.</summary>
public abstract class StreamTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;
    private HttpClient Client => fixture.Server.Client;

    private async Task<(string DeviceId, string DeviceKey)> RegisterAsync(params string[] tags)
    {
        var deviceId = $"live-{Guid.NewGuid():N}"[..20];
        var response = await Client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey);
        var key = (await response.ReadJsonAsync()).GetProperty("data").Str("api_key");
        return (deviceId, key);
    }

    [Fact]
    public async Task EveryApisEvents_ArriveInOrder_AndTheProtocolAnswers()
    {
        var (deviceId, deviceKey) = await RegisterAsync();
        await using var stream = await LiveStream.ConnectAsync(Server, $"/api/v1/realtime/subscribe/{deviceId}", TestServer.AdminKey);
        // A new device's first data also records it active, on a node's next connectivity tick: that frame may come
        // between any two of these; this test is about the rest.
        async Task<JsonElement> NextAsync()
        {
            while (true)
            {
                var frame = await stream.ReceiveAsync();
                if (!frame.TryGetProperty("type", out var type) || type.GetString() != "connectivity") return frame;
            }
        }
        var ack = await NextAsync();
        Assert.Equal("ack", ack.Str("type"));
        Assert.Equal($"Subscribed to device: {deviceId}", ack.Str("message"));

        var clock = Stopwatch.StartNew();
        await Client.PostJsonAsync("/status", new { device_id = deviceId, timestamp = "2025-01-01T00:00:00Z", battery_level = 50, rssi = -60, online = true }, TestServer.AdminKey);
        var first = await NextAsync();
        var latency = clock.Elapsed;
        await Client.PostJsonAsync($"/api/v1/devices/{deviceId}/heartbeat", new { sent_at = "2025-01-01T00:01:00Z" }, TestServer.AdminKey);
        await Client.PostJsonAsync("/telemetry", new { device_external_id = deviceId, events = new[] { new { ts = 1, data = new { t = 1 } }, new { ts = 2, data = new { t = 2 } } } }, TestServer.AdminKey);
        await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 21.5 }, deviceKey);

        var frames = new List<JsonElement> { first };
        for (var i = 0; i < 4; i++) frames.Add(await NextAsync());
        Assert.All(frames, f => Assert.Equal("reading", f.Str("type")));
        Assert.All(frames, f => Assert.Equal(deviceId, f.Str("device_id")));
        Assert.Equal(["status", "heartbeat", "measurement", "measurement", "measurement"], frames.Select(f => f.Str("kind")));
        Assert.Equal(50, frames[0].GetProperty("data").GetProperty("metrics").Int("battery_level"));
        Assert.Equal([1, 2], frames.Skip(2).Take(2).Select(f => f.GetProperty("data").GetProperty("metrics").Int("t")));
        Assert.Equal(21.5, frames[4].GetProperty("data").GetProperty("metrics").GetProperty("temperature").GetDouble());
        Assert.True(latency < TimeSpan.FromSeconds(5), $"POST to frame took {latency}");

        await stream.SendAsync("{\"action\":\"ping\"}");
        Assert.Equal("pong", (await NextAsync()).Str("type"));
        await stream.SendAsync("{\"action\":\"dance\"}");
        Assert.Equal("UNKNOWN_ACTION", (await NextAsync()).Str("code"));
        await stream.SendAsync("not json");
        Assert.Equal("INVALID_JSON", (await NextAsync()).Str("code"));

        // Subscribe to a second device on the same socket, then leave the first.
        var (otherId, _) = await RegisterAsync();
        await stream.SendAsync($"{{\"action\":\"subscribe\",\"device_id\":\"{otherId}\"}}");
        Assert.Equal("ack", (await NextAsync()).Str("type"));
        await stream.SendAsync($"{{\"action\":\"unsubscribe\",\"device_id\":\"{deviceId}\"}}");
        Assert.Equal("ack", (await NextAsync()).Str("type"));
        await Client.PostJsonAsync("/api/v1/ingest", new { temperature = 1 }, deviceKey);
        await Client.PostJsonAsync("/api/v1/ingest", new { device_id = otherId, temperature = 2 }, TestServer.AdminKey);
        Assert.Equal(otherId, (await NextAsync()).Str("device_id"));

        var health = await (await Client.GetAsync("/api/v1/health", key: null)).ReadJsonAsync();
        Assert.True(health.Int("websocket_connections") >= 1);
    }

    [Fact]
    public async Task WithoutAKey_OrForAnotherProjectsDevice_TheSubscriptionIsRefused()
    {
        var (deviceId, _) = await RegisterAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync($"/api/v1/realtime/subscribe/{deviceId}", key: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.GetAsync($"/api/v1/realtime/subscribe/{deviceId}", "0123abcd.wrong")).StatusCode);
        var (_, otherProjectKey) = await Server.NewProjectKeyAsync(Fleetwatch.Auth.KeyRole.Read);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/v1/realtime/subscribe/{deviceId}", otherProjectKey)).StatusCode);
        var refused = await Assert.ThrowsAsync<WebSocketException>(async () => await LiveStream.ConnectAsync(Server, $"/api/v1/realtime/subscribe/{deviceId}", otherProjectKey));
        Assert.Contains("404", refused.Message);
    }

    [Fact]
    public async Task ServerSentEvents_CarryTheSameFrames()
    {
        var (deviceId, deviceKey) = await RegisterAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/stream/devices/{deviceId}?token={Uri.EscapeDataString(deviceKey)}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var client = Server.NewClient();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        async Task<JsonElement> NextAsync()
        {
            using var timeout = new CancellationTokenSource(10_000);
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout.Token);
                if (line is not null && line.StartsWith("data: ", StringComparison.Ordinal)) return JsonDocument.Parse(line[6..]).RootElement.Clone();
            }
        }
        Assert.Equal("ack", (await NextAsync()).Str("type"));
        await Client.PostJsonAsync("/api/v1/ingest", new { humidity = 40 }, deviceKey);
        var frame = await NextAsync();
        Assert.Equal("reading", frame.Str("type"));
        Assert.Equal(40, frame.GetProperty("data").GetProperty("metrics").Int("humidity"));
    }

    [Fact]
    public async Task TheProjectStream_FollowsEveryDevice_OrOneTag()
    {
        var tenant = await Tenant.CreateAsync(Server);
        await tenant.AddDeviceAsync(Server, "tagged-1", "greenhouse");
        await tenant.AddDeviceAsync(Server, "plain-1");
        await using var all = await LiveStream.ConnectAsync(Server, "/api/v1/stream/all", tenant.Key);
        await using var greenhouse = await LiveStream.ConnectAsync(Server, "/api/v1/stream/all?tag=greenhouse", tenant.Key);
        Assert.Equal("Subscribed to all devices", (await all.ReceiveAsync()).Str("message"));
        Assert.Equal("ack", (await greenhouse.ReceiveAsync()).Str("type"));

        foreach (var device in new[] { "plain-1", "tagged-1" })
            await Client.PostJsonAsync("/telemetry", new { device_external_id = device, events = new[] { new { ts = 1, data = new { t = 1 } } } }, tenant.Key);
        Assert.Equal("plain-1", (await all.ReceiveAsync()).Str("device_id"));
        Assert.Equal("tagged-1", (await all.ReceiveAsync()).Str("device_id"));
        Assert.Equal("tagged-1", (await greenhouse.ReceiveAsync()).Str("device_id"));
    }
}

public sealed class SqliteStreamTests(SqliteServerFixture fixture) : StreamTests(fixture), IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task ASlowSubscriber_LosesItsOldestEvents_WithAGapMarker_AndNeverSlowsIngest()
    {
        var deviceId = $"slow-{Guid.NewGuid():N}"[..20];
        var client = fixture.Server.Client;
        await client.PostJsonAsync("/api/v1/devices", new { device_id = deviceId }, TestServer.AdminKey);
        await using var stream = await LiveStream.ConnectAsync(fixture.Server, $"/api/v1/realtime/subscribe/{deviceId}", TestServer.AdminKey);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        // 60,000 events while the client reads nothing: far more than its queue and the socket buffers hold.
        var events = Enumerable.Range(0, 5000).Select(i => new { ts = i, data = new { t = i } }).ToArray();
        for (var batch = 0; batch < 12; batch++)
        {
            var accepted = await client.PostJsonAsync("/telemetry", new { device_external_id = deviceId, events }, TestServer.AdminKey);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var readings = 0;
        long dropped = 0;
        while (readings + dropped < 60_000)
        {
            var frame = await stream.ReceiveAsync();
            if (frame.Str("type") == "gap") dropped += frame.Long("dropped");
            else readings++;
        }
        Assert.True(dropped > 0, "the slow subscriber was told of a gap");
        Assert.Equal(60_000, readings + dropped);
    }
}
