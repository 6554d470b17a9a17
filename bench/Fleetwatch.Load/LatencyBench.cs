using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Fleetwatch.Load;

/// <summary>End-to-end latency: from sending POST /api/v1/ingest to receiving its frame on a WebSocket subscription.</summary>
public static class LatencyBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var samples = (int)options.Long("samples", 500);
        using var client = options.Client();
        var device = $"lat-{Guid.NewGuid():N}"[..16];
        var registered = await (await client.PostAsJsonAsync("api/v1/devices", new { device_id = device })).Content.ReadFromJsonAsync<JsonElement>();
        var deviceKey = registered.GetProperty("data").GetProperty("api_key").GetString()!;

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-API-Key", options.Key);
        await socket.ConnectAsync(new Uri(new Uri(options.Url.ToString().Replace("http", "ws", StringComparison.Ordinal)), $"api/v1/realtime/subscribe/{device}"), CancellationToken.None);
        var buffer = new byte[16 * 1024];
        await socket.ReceiveAsync(buffer, CancellationToken.None); // the ack

        using var ingest = new HttpClient { BaseAddress = options.Url };
        ingest.DefaultRequestHeaders.Add("X-API-Key", deviceKey);
        var latencies = new List<double>(samples);
        for (var i = 0; i < samples + 20; i++)
        {
            var clock = Stopwatch.StartNew();
            (await ingest.PostAsJsonAsync("api/v1/ingest", new { temperature = i % 80 })).EnsureSuccessStatusCode();
            await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (i >= 20) latencies.Add(clock.Elapsed.TotalMilliseconds); // the first ones warm up JIT and connections
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            latency: POST /api/v1/ingest (committed) to its WebSocket frame, {samples} sequential readings
              p50 {Measure.Percentile(latencies, 50):F2} ms   p90 {Measure.Percentile(latencies, 90):F2} ms   p99 {Measure.Percentile(latencies, 99):F2} ms   max {latencies.Max():F2} ms
            """));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency_p50_ms {Measure.Percentile(latencies, 50):F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency_p99_ms {Measure.Percentile(latencies, 99):F2}"));
        return 0;
    }
}
