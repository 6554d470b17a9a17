using System.Diagnostics;
using System.Net;
using Fleetwatch.Tests.Fixtures;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleetwatch.Tests.Mqtt;

/// <summary>
/// MQTT devices on the same model as the HTTP ones, with real clients (mosquitto_pub, MQTTnet's client) over TCP and
/// WebSocket, on each engine: data lands in history, streams and rules; acknowledgements wait for the commit; bad keys
/// and bad payloads are told apart; limits disconnect.
/// </summary>
public abstract partial class MqttTests(MqttFixture fixture)
{
    protected TestServer Server => fixture.Server;
    protected int Port => fixture.MqttPort;

    [Fact]
    public async Task MosquittoPub_OnEveryTopic_LandsInHistory_OnTheStream_AndRaisesARuleAlert()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "boiler");
        var rule = await (await Server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/rules",
            new { name = "Hot", metric = "temperature", @operator = ">", threshold = 90, window_n = 1, required_k = 1 }, tenant.Key)).ReadJsonAsync();
        await using var stream = await LiveStream.ConnectAsync(Server, "/api/v1/realtime/subscribe/boiler", tenant.Key);
        Assert.Equal("ack", (await stream.ReceiveAsync()).Str("type"));

        // MQTT 3.1.1 (mosquitto_pub's default) and MQTT 5, QoS 1: exit code 0 means PUBACK received.
        var telemetry = await MqttClients.MosquittoPubAsync(Port, "-i", "boiler-1", "-u", key, "-q", "1", "-t", "v1/devices/me/telemetry", "-m", """{"temperature":95.5,"pressure":2}""");
        Assert.True(telemetry.ExitCode == 0, telemetry.Output);
        Assert.Contains("received PUBACK", telemetry.Output);
        var frame = await stream.ReceiveAsync();
        Assert.Equal(95.5, frame.GetProperty("data").GetProperty("metrics").GetProperty("temperature").GetDouble());

        var timestamped = await MqttClients.MosquittoPubAsync(Port, "-V", "mqttv5", "-u", key, "-q", "1", "-t", "v1/devices/me/telemetry",
            "-m", """[{"ts":1718359200000,"values":{"temperature":20,"label":"idle"}},{"ts":1718359260000,"values":{"temperature":21}}]""");
        Assert.True(timestamped.ExitCode == 0, timestamped.Output);
        Assert.Contains("RC:0", timestamped.Output);
        var status = await MqttClients.MosquittoPubAsync(Port, "-V", "mqttv5", "-u", key, "-q", "1", "-t", "v1/devices/me/status",
            "-m", """{"device_id":"boiler","timestamp":"2024-06-14T10:00:00Z","battery_level":15,"rssi":-70,"online":true}""");
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Equal(0, (await MqttClients.MosquittoPubAsync(Port, "-i", "boiler-1", "-u", key, "-q", "1", "-t", "v1/devices/me/heartbeat", "-n")).ExitCode);
        Assert.Equal(0, (await MqttClients.MosquittoPubAsync(Port, "-i", "boiler-1", "-u", key, "-q", "1", "-t", "v1/devices/me/stats",
            "-m", """{"sent_at":"2024-06-14T10:01:00Z","upload_time":2500000000}""")).ExitCode);

        var events = await MqttClients.EventsAsync(Server, tenant, "boiler");
        Assert.Equal(["heartbeat", "measurement", "measurement", "measurement", "status", "upload_stat"], events.Select(e => e.Str("kind")).Order());
        Assert.Contains(events, e => e.Str("ts") == "2024-06-14T10:00:00Z" && e.Str("kind") == "measurement" && e.GetProperty("payload").Str("label") == "idle");
        var latest = await (await Server.Client.GetAsync("/status/boiler", tenant.Key)).ReadJsonAsync();
        Assert.Equal(15, latest.Int("battery_level"));
        var stats = await (await Server.Client.GetAsync("/api/v1/devices/boiler/stats", tenant.Key)).ReadJsonAsync();
        Assert.Equal("2.5s", stats.Str("avg_upload_time"));

        var alerts = await (await Server.Client.GetAsync($"/projects/{tenant.ProjectId}/alerts?rule_id={rule.Long("id")}", tenant.Key)).ReadJsonAsync();
        Assert.Single(alerts.EnumerateArray());
    }

    [Fact]
    public async Task ABadKey_GetsTheConnackCodeOfEachVersion_AndAReadKeyIsNotAuthorized()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var v311 = await MqttClients.MosquittoPubAsync(Port, "-i", "x", "-u", "0123abcd.wrong", "-q", "1", "-t", "v1/devices/me/telemetry", "-m", "{\"t\":1}");
        Assert.Equal(4, v311.ExitCode);
        Assert.Contains("bad user name or password", v311.Output);
        var v5 = await MqttClients.MosquittoPubAsync(Port, "-V", "mqttv5", "-u", "0123abcd.wrong", "-q", "1", "-t", "v1/devices/me/telemetry", "-m", "{\"t\":1}");
        Assert.Equal(0x86, v5.ExitCode);

        var reader = await (await Server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "read" }, tenant.Key)).ReadJsonAsync();
        using var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(MqttClients.Options(Port, reader.Str("api_key"), "reader"));
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, connected.ResultCode);
        Assert.Contains("may not write", connected.ReasonString);
        var readV311 = await MqttClients.MosquittoPubAsync(Port, "-i", "y", "-u", reader.Str("api_key"), "-q", "1", "-t", "v1/devices/me/telemetry", "-m", "{\"t\":1}");
        Assert.Equal(5, readV311.ExitCode);
    }

    [Fact]
    public async Task ABadPayload_IsRefusedWithReason0x99OnMqtt5_AndDroppedAndCountedOn311_StoringNothing()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "sensor");
        var v5 = await MqttClients.MosquittoPubAsync(Port, "-V", "mqttv5", "-u", key, "-q", "1", "-t", "v1/devices/me/telemetry", "-m", """{"temperature":""");
        Assert.Contains("RC:153", v5.Output);
        Assert.Contains("Payload format invalid", v5.Output);

        using var client = await MqttClients.ConnectAsync(Port, key, "sensor-5");
        var wrongType = await client.PublishAsync("v1/devices/me/status", new { device_id = "sensor", timestamp = "yesterday", battery_level = "full", rssi = -50, online = true });
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, wrongType.ReasonCode);
        Assert.Contains("battery_level", wrongType.ReasonString);
        Assert.Contains("timestamp", wrongType.ReasonString);
        var unknownTopic = await client.PublishAsync("v1/devices/me/attributes", new { firmware = "1.2" });
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, unknownTopic.ReasonCode);
        var otherDevice = await client.PublishAsync("v1/devices/me/status", new { device_id = "someone-else", timestamp = "2024-06-14T10:00:00Z", battery_level = 5, rssi = -50, online = true });
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, otherDevice.ReasonCode);

        var before = await MetricAsync("fleetwatch_mqtt_messages_total{result=\"invalid\"}");
        var v311 = await MqttClients.MosquittoPubAsync(Port, "-i", "sensor-3", "-u", key, "-q", "1", "-t", "v1/devices/me/telemetry", "-m", "[1,2,3]");
        Assert.Equal(0, v311.ExitCode); // 3.1.1 cannot refuse: the message is acknowledged and dropped
        Assert.Equal(before + 1, await MetricAsync("fleetwatch_mqtt_messages_total{result=\"invalid\"}"));
        Assert.Empty(await MqttClients.EventsAsync(Server, tenant, "sensor"));
    }

    [Fact]
    public async Task AGateway_PublishesForThreeDevices_WithAProjectKey_ButNotWithADeviceKey()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var ingest = await (await Server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "ingest" }, tenant.Key)).ReadJsonAsync();
        using var gateway = await MqttClients.ConnectAsync(Port, ingest.Str("api_key"), "gateway-1", MqttProtocolVersion.V311);
        var result = await gateway.PublishAsync("v1/gateway/telemetry", """
            {"pump-a":[{"ts":1718359200000,"values":{"flow":1.5}},{"ts":1718359260000,"values":{"flow":1.7}}],
             "pump-b":[{"flow":2.0}],
             "pump-c":{"flow":3.0,"ok":true}}
            """);
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        Assert.Equal(2, (await MqttClients.EventsAsync(Server, tenant, "pump-a")).Length);
        Assert.Single(await MqttClients.EventsAsync(Server, tenant, "pump-b"));
        Assert.True((await MqttClients.EventsAsync(Server, tenant, "pump-c")).Single().GetProperty("payload").Bool("ok"));

        // With a project key, "me" is the device the client id names.
        Assert.Equal(MqttClientPublishReasonCode.Success, (await gateway.PublishAsync("v1/devices/me/telemetry", new { flow = 9 })).ReasonCode);
        Assert.Single(await MqttClients.EventsAsync(Server, tenant, "gateway-1"));

        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "pump-d");
        using var device = await MqttClients.ConnectAsync(Port, key, "pump-d");
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await device.PublishAsync("v1/gateway/telemetry", """{"pump-a":{"flow":0}}""")).ReasonCode);
        Assert.Equal(2, (await MqttClients.EventsAsync(Server, tenant, "pump-a")).Length);
    }

    /// <summary>ThingsBoard's SDKs subscribe at start, so subscribing works; but no client ever receives another's messages.</summary>
    [Fact]
    public async Task MosquittoSub_CanSubscribeToEverything_AndReceivesNoOnesData()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var listenerKey = await MqttClients.DeviceKeyAsync(Server, tenant, "snoop");
        var publisherKey = await MqttClients.DeviceKeyAsync(Server, tenant, "victim");
        var info = new ProcessStartInfo("mosquitto_sub") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "snoop-1",
            "-u", listenerKey, "-t", "#", "-t", "v1/devices/me/rpc/request/+", "-C", "1", "-W", "3", "-v"])
            info.ArgumentList.Add(argument);
        using var subscriber = Process.Start(info)!;
        var output = subscriber.StandardOutput.ReadToEndAsync();
        await Task.Delay(500);
        using var publisher = await MqttClients.ConnectAsync(Port, publisherKey, "victim-1");
        Assert.Equal(MqttClientPublishReasonCode.Success, (await publisher.PublishAsync("v1/devices/me/telemetry", new { secret = 42 })).ReasonCode);
        await subscriber.WaitForExitAsync();
        Assert.Equal(27, subscriber.ExitCode); // mosquitto_sub's "timed out": connected and subscribed, and nothing came
        Assert.Equal("", await output);
        Assert.Single(await MqttClients.EventsAsync(Server, tenant, "victim"));
    }

    [Fact]
    public async Task OverWebSocket_AMessageIsStored()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "browser-device");
        using var client = new MqttClientFactory().CreateMqttClient();
        var uri = new UriBuilder(Server.BaseAddress) { Scheme = "ws", Path = "/mqtt" }.Uri.ToString();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithWebSocketServer(o => o.WithUri(uri)).WithCredentials(key, "").WithClientId("ws-1").Build());
        Assert.Equal(MqttClientPublishReasonCode.Success, (await client.PublishAsync("v1/devices/me/telemetry", new { lux = 300 })).ReasonCode);
        Assert.Single(await MqttClients.EventsAsync(Server, tenant, "browser-device"));
    }

    [Fact]
    public async Task ASecondConnectionWithTheSameClientId_ReplacesTheFirst()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "twin");
        using var first = await MqttClients.ConnectAsync(Port, key, "twin-client");
        var dropped = Disconnection(first);
        using var second = await MqttClients.ConnectAsync(Port, key, "twin-client");
        await dropped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(first.IsConnected);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await second.PublishAsync("v1/devices/me/telemetry", new { v = 1 })).ReasonCode);
    }

    [Fact]
    public async Task OverTls_WithKestrelsCertificate_AMessageIsStored()
    {
        using var certificate = SelfSigned.Create("127.0.0.1", out var key);
        using var ownedKey = key;
        var pfx = Path.Combine(Path.GetTempPath(), $"fleetwatch-mqtt-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "secret"));
        try
        {
            var tlsPort = ServerProcess.FreePort();
            await using var secure = await TestServer.StartAsync(await fixture.Backend.CreateDatabaseAsync(), [.. MqttFixture.SettingsFor(ServerProcess.FreePort(), out _),
                "--Mqtt:TlsPort", tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--Kestrel:Certificates:Default:Path", pfx, "--Kestrel:Certificates:Default:Password", "secret"]);
            var tenant = await Tenant.CreateAsync(secure);
            var deviceKey = await MqttClients.DeviceKeyAsync(secure, tenant, "vault");
            using var client = new MqttClientFactory().CreateMqttClient();
            string? presented = null;
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", tlsPort).WithCredentials(deviceKey, "").WithClientId("vault-1")
                .WithTlsOptions(tls => tls.UseTls().WithCertificateValidationHandler(context =>
                {
                    presented = context.Certificate.Subject;
                    return true;
                })).Build());
            Assert.Equal("CN=127.0.0.1", presented);
            Assert.Equal(MqttClientPublishReasonCode.Success, (await client.PublishAsync("v1/devices/me/telemetry", new { locked = true })).ReasonCode);
            Assert.Single(await MqttClients.EventsAsync(secure, tenant, "vault"));
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    private static Task<MqttClientDisconnectedEventArgs> Disconnection(IMqttClient client)
    {
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
        return disconnected.Task;
    }

    private Task<double> MetricAsync(string series) => MetricAsync(Server, series);

    private static async Task<double> MetricAsync(TestServer server, string series)
    {
        var text = await (await server.Client.GetAsync("/metrics", key: null)).Content.ReadAsStringAsync();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}

public abstract class MqttFixture(DatabaseBackend backend) : ServerFixture(backend)
{
    public const int MaxPayloadBytes = 64 * 1024;

    public int MqttPort { get; } = ServerProcess.FreePort();

    protected override string[] Settings => ["--Auth:CacheSeconds", "0", .. SettingsFor(MqttPort, out _)];

    public static string[] SettingsFor(int port, out int chosen)
    {
        chosen = port;
        return ["--Mqtt:Enabled", "true", "--Mqtt:Host", "127.0.0.1", "--Mqtt:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Mqtt:MaxPayloadBytes", MaxPayloadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }
}

public sealed class SqliteMqttFixture() : MqttFixture(new SqliteBackend());

public sealed class PostgresMqttFixture() : MqttFixture(new PostgresBackend());

public sealed class SqliteMqttTests(SqliteMqttFixture fixture) : MqttTests(fixture), IClassFixture<SqliteMqttFixture>;

public sealed class PostgresMqttTests(PostgresMqttFixture fixture) : MqttTests(fixture), IClassFixture<PostgresMqttFixture>;
