using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Fleetwatch.Tests.Fixtures;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleetwatch.Tests.Mqtt;

/// <summary>The two real clients the MQTT tests publish with: Debian's <c>mosquitto_pub</c>, and MQTTnet's client.</summary>
public static class MqttClients
{
    /// <summary>Runs <c>mosquitto_pub -d</c> against the server's MQTT port; its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> MosquittoPubAsync(int port, params string[] arguments)
    {
        var info = new ProcessStartInfo("mosquitto_pub") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", .. arguments])
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public static async Task<IMqttClient> ConnectAsync(int port, string key, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(Options(port, key, clientId, version));
        return client;
    }

    public static MqttClientOptions Options(int port, string key, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithCredentials(key, "").WithClientId(clientId)
            .WithProtocolVersion(version).WithTimeout(TimeSpan.FromSeconds(30)).Build();

    public static Task<MqttClientPublishResult> PublishAsync(this IMqttClient client, string topic, object payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic)
            .WithPayload(payload as string is { } text ? Encoding.UTF8.GetBytes(text) : JsonSerializer.SerializeToUtf8Bytes(payload))
            .WithQualityOfServiceLevel(qos).Build());

    /// <summary>A device key made through the telemetry backend API, in the tenant's project.</summary>
    public static async Task<string> DeviceKeyAsync(TestServer server, Tenant tenant, string device)
    {
        var registered = await (await server.Client.PostJsonAsync("/api/v1/devices", new { device_id = device }, tenant.Key)).ReadJsonAsync();
        return registered.GetProperty("data").Str("api_key");
    }

    /// <summary>Every event of a device of the tenant's project, newest first, whichever API or topic stored it.</summary>
    public static async Task<JsonElement[]> EventsAsync(TestServer server, Tenant tenant, string device)
    {
        var devices = await (await server.Client.GetAsync($"/projects/{tenant.ProjectId}/devices", tenant.Key)).ReadJsonAsync();
        var id = devices.EnumerateArray().Where(d => d.Str("external_id") == device).Select(d => d.Long("id")).FirstOrDefault();
        if (id == 0) return [];
        return [.. (await (await server.Client.GetAsync($"/telemetry/devices/{id}/telemetry?limit=1000", tenant.Key)).ReadJsonAsync()).EnumerateArray()];
    }
}
