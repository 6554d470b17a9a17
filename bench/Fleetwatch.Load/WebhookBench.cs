using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace Fleetwatch.Load;

/// <summary>From posting a breaching reading to its alert's webhook arriving at a receiver on this machine, at rest.</summary>
public static class WebhookBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var samples = (int)options.Long("samples", 50);
        using var admin = options.Client();
        var (project, key) = await Options.NewProjectAsync(admin, "hooks");
        using var client = (options with { Key = key }).Client();

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        (await client.PostAsJsonAsync($"projects/{project}/devices", new { external_id = "hooked", name = "hooked" })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync($"projects/{project}/webhooks", new { url = $"http://127.0.0.1:{port}/hook", secret = "bench" })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync($"projects/{project}/rules", new { name = "hot", metric = "temperature", threshold = 50, cooldown_seconds = 0 })).EnsureSuccessStatusCode();

        var latencies = new List<double>();
        for (var i = 0; i < samples + 5; i++)
        {
            var clock = Stopwatch.StartNew();
            var arrival = listener.GetContextAsync();
            (await client.PostAsJsonAsync("telemetry", new { device_external_id = "hooked", events = new[] { new { ts = DateTime.UtcNow.ToString("O"), data = new { temperature = 90 } } } }))
                .EnsureSuccessStatusCode();
            var context = await arrival;
            var elapsed = clock.Elapsed.TotalMilliseconds;
            context.Response.StatusCode = 200;
            context.Response.Close();
            if (i >= 5) latencies.Add(elapsed);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"webhook_p50_ms {Measure.Percentile(latencies, 50):F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"webhook_p99_ms {Measure.Percentile(latencies, 99):F1}"));
        return 0;
    }
}
