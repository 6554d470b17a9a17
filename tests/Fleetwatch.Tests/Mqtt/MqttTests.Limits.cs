using System.Diagnostics;
using System.Net;
using Fleetwatch.Tests.Fixtures;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleetwatch.Tests.Mqtt;

/// <summary>What MQTT promises under load: acknowledgements wait for the commit, many clients at once, and limits that disconnect.</summary>
public abstract partial class MqttTests
{
    [Fact]
    public async Task APayloadOverTheLimit_Disconnects_AndIsNotStored()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var key = await MqttClients.DeviceKeyAsync(Server, tenant, "big");
        using var client = await MqttClients.ConnectAsync(Port, key, "big-1");
        var dropped = Disconnection(client);
        var huge = "{\"blob\":\"" + new string('x', MqttFixture.MaxPayloadBytes) + "\"}";
        try
        {
            var result = await client.PublishAsync("v1/devices/me/telemetry", huge);
            Assert.NotEqual(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            // Disconnected before the acknowledgement came back.
        }
        // The DISCONNECT carries 0x95, but the client may see the socket close first: the server's count says why.
        await dropped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(client.IsConnected);
        Assert.True(await MetricAsync("fleetwatch_mqtt_messages_total{result=\"too_large\"}") >= 1);
        Assert.Empty(await MqttClients.EventsAsync(Server, tenant, "big"));
    }

    [Fact]
    public async Task AThousandConcurrentConnections_EachPublish_AndEveryMessageIsStored()
    {
        var tenant = await Tenant.CreateAsync(Server);
        var ingest = (await (await Server.Client.PostJsonAsync($"/projects/{tenant.ProjectId}/api-keys", new { role = "ingest" }, tenant.Key)).ReadJsonAsync()).Str("api_key");
        var clients = new IMqttClient[1000];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, clients.Length), new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (i, _) =>
                clients[i] = await MqttClients.ConnectAsync(Port, ingest, $"crowd-{i}", i % 2 == 0 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311));
            Assert.Equal(clients.Length, await MetricAsync("fleetwatch_mqtt_connections"));
            var results = await Task.WhenAll(clients.Select(c => c.PublishAsync("v1/devices/me/telemetry", new { n = 1 })));
            Assert.All(results, r => Assert.Equal(MqttClientPublishReasonCode.Success, r.ReasonCode));
        }
        finally
        {
            foreach (var client in clients) client?.Dispose();
        }
        var fleet = await (await Server.Client.GetAsync($"/projects/{tenant.ProjectId}/fleet?limit=1000&search=crowd-", tenant.Key)).ReadJsonAsync();
        Assert.Equal(1000, fleet.Int("matched"));
    }

    /// <summary>The acknowledgement waits for a deliberately slow commit, yet many messages of one connection are in flight at once.</summary>
    [Fact]
    public async Task APubackWaitsForTheCommit_AndOneConnectionHasManyMessagesInFlight()
    {
        await using var slow = await TestServer.StartAsync(await fixture.Backend.CreateDatabaseAsync(), [.. MqttFixture.SettingsFor(ServerProcess.FreePort(), out var port),
            "--Ingest:SlowCommitMs", "400"]);
        var tenant = await Tenant.CreateAsync(slow);
        var key = await MqttClients.DeviceKeyAsync(slow, tenant, "slowpoke");
        using var client = await MqttClients.ConnectAsync(port, key, "slowpoke-1");

        var clock = Stopwatch.StartNew();
        var publish = client.PublishAsync("v1/devices/me/telemetry", new { n = 0 });
        await Task.Delay(150);
        Assert.False(publish.IsCompleted, "acknowledged while the commit was still sleeping");
        Assert.Equal(MqttClientPublishReasonCode.Success, (await publish).ReasonCode);
        Assert.True(clock.ElapsedMilliseconds >= 350, $"acknowledged after {clock.ElapsedMilliseconds} ms, before the 400 ms commit");
        Assert.Single(await MqttClients.EventsAsync(slow, tenant, "slowpoke"));

        // Twenty messages, one connection: acknowledged together after a commit or two, not one commit each (8 s).
        clock.Restart();
        var results = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => client.PublishAsync("v1/devices/me/telemetry", new { n = i })));
        Assert.All(results, r => Assert.Equal(MqttClientPublishReasonCode.Success, r.ReasonCode));
        Assert.True(clock.ElapsedMilliseconds < 4_000, $"20 messages took {clock.ElapsedMilliseconds} ms: they were not in flight together");
        Assert.Equal(21, (await MqttClients.EventsAsync(slow, tenant, "slowpoke")).Length);
    }

    /// <summary>Over the publish rate or the in-flight window, a client is disconnected, and what it sent past the limit is not kept.</summary>
    [Fact]
    public async Task AClientOverItsRateOrInFlightWindow_IsDisconnected()
    {
        await using var strict = await TestServer.StartAsync(await fixture.Backend.CreateDatabaseAsync(), [.. MqttFixture.SettingsFor(ServerProcess.FreePort(), out var port),
            "--Mqtt:MaxPublishesPerSecond", "20", "--Mqtt:MaxInFlight", "3", "--Ingest:SlowCommitMs", "300"]);
        var tenant = await Tenant.CreateAsync(strict);
        var key = await MqttClients.DeviceKeyAsync(strict, tenant, "chatty");

        using var fast = await MqttClients.ConnectAsync(port, key, "chatty-5");
        var rateDisconnect = Disconnection(fast);
        try
        {
            for (var i = 0; i < 100 && fast.IsConnected; i++)
                await fast.PublishAsync("v1/devices/me/telemetry", new { i }, MqttQualityOfServiceLevel.AtMostOnce);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
            // Cut off mid-send: what the limit is for.
        }
        await rateDisconnect.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(fast.IsConnected);

        // MQTT 5 clients are told the window in CONNACK and keep to it; a 3.1.1 client is not, and is cut off past it.
        using var eager = await MqttClients.ConnectAsync(port, key, "chatty-3", MqttProtocolVersion.V311);
        var windowDisconnect = Disconnection(eager);
        var sends = Enumerable.Range(0, 10).Select(i => eager.PublishAsync("v1/devices/me/telemetry", new { window = i })).ToArray();
        await windowDisconnect.WaitAsync(TimeSpan.FromSeconds(10));
        var completed = await Task.WhenAll(sends.Select(async send =>
        {
            try
            {
                return (await send).ReasonCode == MqttClientPublishReasonCode.Success;
            }
            catch (Exception)
            {
                return false;
            }
        }));
        Assert.True(completed.Count(ok => ok) <= 3, $"{completed.Count(ok => ok)} messages acknowledged past a window of 3");
        Assert.True(await MetricAsync(strict, "fleetwatch_mqtt_messages_total{result=\"rate_limited\"}") >= 1);
        Assert.True(await MetricAsync(strict, "fleetwatch_mqtt_messages_total{result=\"in_flight\"}") >= 1);
    }
}
