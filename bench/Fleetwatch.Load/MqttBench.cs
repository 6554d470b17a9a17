using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleetwatch.Load;

/// <summary>
/// Durable QoS 1 messages per second over N connections (three values each, several in flight per connection, each
/// counted once its PUBACK — sent after the commit — came back), and the server's memory per idle connection.
/// </summary>
public static class MqttBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var connections = (int)options.Long("connections", 100);
        var seconds = options.Long("seconds", 10);
        var inFlight = (int)options.Long("in-flight", 8);
        var port = (int)options.Long("mqtt-port", 1883);
        var pid = options.Long("pid", 0);
        using var admin = options.Client();
        var (project, _) = await Options.NewProjectAsync(admin, $"mqtt-{connections}");
        var key = (await (await admin.PostAsJsonAsync($"projects/{project}/api-keys", new { role = "ingest" })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("api_key").GetString()!;

        var heapBefore = await Measure.HeapAsync(admin);
        var rssBefore = Rss(pid);
        var clients = new IMqttClient[connections];
        await Parallel.ForEachAsync(Enumerable.Range(0, connections), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            clients[i] = new MqttClientFactory().CreateMqttClient();
            await clients[i].ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(options.Url.Host, port).WithCredentials(key, "")
                .WithClientId($"bench-{connections}-{i}").WithTimeout(TimeSpan.FromSeconds(60)).Build(), ct);
        });
        await Task.Delay(1000);
        var heapPerConnection = (await Measure.HeapAsync(admin) - heapBefore) / (double)connections;
        var rssPerConnection = (Rss(pid) - rssBefore) / (double)connections;

        // An untimed warm-up, then the timed run.
        await PublishForAsync(clients, inFlight, TimeSpan.FromSeconds(2));
        var (acknowledged, elapsed) = await PublishForAsync(clients, inFlight, TimeSpan.FromSeconds(seconds));
        foreach (var client in clients) client.Dispose();

        var name = $"mqtt_{connections}";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mqtt: {connections} connections, {inFlight} in flight each: {acknowledged / elapsed:F0} QoS 1 messages/s acknowledged after commit; idle connection: {heapPerConnection:F0} bytes of managed heap, {rssPerConnection:F0} bytes of RSS"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}_msgs_per_s {acknowledged / elapsed:F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}_heap_bytes_per_connection {heapPerConnection:F0}"));
        if (pid != 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}_rss_bytes_per_connection {rssPerConnection:F0}"));
        return 0;
    }

    private static async Task<(long Acknowledged, double Seconds)> PublishForAsync(IMqttClient[] clients, int inFlight, TimeSpan duration)
    {
        long acknowledged = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(clients.SelectMany((client, c) => Enumerable.Range(0, inFlight).Select(async lane =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $$"""{"temperature":{{20 + n % 10}},"humidity":{{40 + lane}},"voltage":{{3.3 + c % 5 * 0.1:F1}}}"""));
                var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("v1/devices/me/telemetry").WithPayload(payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                if (result.ReasonCode != MqttClientPublishReasonCode.Success) throw new InvalidOperationException($"refused: {result.ReasonCode} {result.ReasonString}");
                Interlocked.Increment(ref acknowledged);
            }
        })));
        return (acknowledged, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The server's resident memory in bytes (it runs on this machine), or 0 without its pid.</summary>
    private static long Rss(long pid) => pid == 0 ? 0
        : long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            CultureInfo.InvariantCulture) * 1024;
}
