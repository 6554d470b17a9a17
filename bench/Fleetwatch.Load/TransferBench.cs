using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Fleetwatch.Load;

/// <summary>
/// History out and in, and expiry under load, on a server holding one device's long history (the aggregate scenario's):
/// the export streamed (rows/s, and the server's peak RSS while it streams), its first rows imported into a new
/// project and imported again (events/s; the second time every one is a duplicate), then single status POSTs alone and
/// while the expired history is deleted (the project's retention set to one day), as a ratio, with how many events were
/// deleted inside that window.
/// </summary>
public static class TransferBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var device = options.Values["device"];
        var pid = (int)options.Long("pid", 0);
        var limit = options.Long("import-limit", 1_000_000);
        var seconds = options.Long("seconds", 5);
        using var client = options.Client(64);
        var file = Path.Combine(Path.GetTempPath(), $"fleetwatch-bench-export-{Guid.NewGuid():N}.ndjson");
        try
        {
            await ExportAsync(client, device, pid, file, limit);
            await ImportAsync(client, file);
            await PurgeWhileIngestingAsync(client, seconds);
        }
        finally
        {
            File.Delete(file);
        }
        return 0;
    }

    private static async Task ExportAsync(HttpClient client, string device, int pid, string file, long limit)
    {
        var id = await DeviceIdAsync(client, device);
        var rssBefore = Rss(pid);
        long peak = rssBefore, rows = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(pid));
                await Task.Delay(50);
            }
        });
        var clock = Stopwatch.StartNew();
        using (var response = await client.GetAsync($"projects/1/devices/{id}/export?format=ndjson", HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            await using var saved = File.Create(file);
            var buffer = new byte[256 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                var lines = chunk.Count((byte)'\n');
                // Only the first rows are kept for the import: the import's rate does not need all of them.
                if (rows < limit)
                {
                    var keep = rows + lines <= limit ? read : NthNewline(chunk, (int)(limit - rows)) + 1;
                    await saved.WriteAsync(buffer.AsMemory(0, keep));
                }
                rows += lines;
            }
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        Print("export_rows", rows);
        Print("export_rows_per_s", rows / elapsed);
        Print("export_rss_mb_before", rssBefore / 1e6);
        Print("export_rss_mb_peak", peak / 1e6);
    }

    private static async Task ImportAsync(HttpClient admin, string file)
    {
        var (project, key) = await Options.NewProjectAsync(admin, "bench-import");
        foreach (var name in new[] { "import", "reimport" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"projects/{project}/import?format=ndjson") { Content = new StreamContent(File.OpenRead(file), 256 * 1024) };
            request.Headers.Add("X-API-Key", key);
            var clock = Stopwatch.StartNew();
            using var response = await admin.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var report = await response.Content.ReadFromJsonAsync<JsonElement>();
            var events = report.GetProperty("imported").GetInt64() + report.GetProperty("duplicates").GetInt64();
            Print($"{name}_events", events);
            Print($"{name}_events_per_s", events / clock.Elapsed.TotalSeconds);
        }
    }

    private static async Task PurgeWhileIngestingAsync(HttpClient client, long seconds)
    {
        Print("purge_alone_rps", await StatusPostsAsync(client, seconds));
        var before = await PurgedAsync(client);
        (await client.PatchAsJsonAsync("projects/1/retention", new { raw_days = 1 })).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        // The window opens once the deletion has begun (the next retention pass), so it measures ingest beside it.
        while (await PurgedAsync(client) == before && clock.Elapsed.TotalSeconds < 10) await Task.Delay(20);
        var started = await PurgedAsync(client);
        var rate = await StatusPostsAsync(client, seconds);
        var during = await PurgedAsync(client) - started;
        Print("purge_during_rps", rate);
        Print("purge_during_window_events", during);
        // Then until the purge is over: the count has not moved for five seconds (a paced delete may pause a while).
        var last = await PurgedAsync(client);
        var movedAt = clock.Elapsed.TotalSeconds;
        while (clock.Elapsed.TotalSeconds - movedAt < 5)
        {
            await Task.Delay(200);
            var now = await PurgedAsync(client);
            if (now > last) (last, movedAt) = (now, clock.Elapsed.TotalSeconds);
        }
        Print("purge_events", last - before);
        Print("purge_seconds", movedAt);
    }

    /// <summary>Single durable status POSTs from 64 concurrent clients for a while; requests per second.</summary>
    private static async Task<double> StatusPostsAsync(HttpClient client, long seconds)
    {
        long done = 0;
        var until = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 64), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (worker, ct) =>
        {
            while (until.Elapsed.TotalSeconds < seconds)
            {
                // Stamped now, as a device would: live traffic into the open hour.
                var body = $$"""{"device_id":"purge-{{worker}}","timestamp":"{{DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'}}","battery_level":80,"rssi":-60,"online":true}""";
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                (await client.PostAsync("status", content, ct)).EnsureSuccessStatusCode();
                Interlocked.Increment(ref done);
            }
        });
        return done / until.Elapsed.TotalSeconds;
    }

    private static async Task<double> PurgedAsync(HttpClient client)
    {
        var metrics = await client.GetStringAsync("metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("fleetwatch_retention_purged_events_total ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    private static async Task<long> DeviceIdAsync(HttpClient client, string device)
    {
        var devices = await client.GetFromJsonAsync<JsonElement>("projects/1/devices");
        return devices.EnumerateArray().First(d => d.GetProperty("external_id").GetString() == device).GetProperty("id").GetInt64();
    }

    private static int NthNewline(ReadOnlySpan<byte> chunk, int n)
    {
        var position = -1;
        for (var i = 0; i < n; i++) position += chunk[(position + 1)..].IndexOf((byte)'\n') + 1;
        return position;
    }

    private static long Rss(int pid)
    {
        if (pid == 0) return 0;
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static void Print(string name, double value) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {value:0.##}"));
}
