using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Fleetwatch.Load;

/// <summary>
/// A long-range bucketed aggregate: N points of one device-metric spread over D days (all hours sealed, so the
/// server rolls them up in the background), how long after the load the rollups are ready, then the hourly
/// aggregate over the whole range read raw and from the rollups — each figure measured in the same run.
/// </summary>
public static class AggregateBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var points = options.Long("points", 10_000_000);
        var days = options.Long("days", 90);
        using var client = options.Client();
        var device = options.Values.GetValueOrDefault("device") ?? $"agg-{Guid.NewGuid():N}"[..16];
        (await client.PostAsJsonAsync("api/v1/devices", new { device_id = device })).EnsureSuccessStatusCode();

        // The range ends two days ago, so every hour of it is sealed.
        var end = DateTime.UtcNow.Date.AddDays(-2);
        var start = end.AddDays(-days);
        var step = (end - start).Ticks / points;
        var clock = Stopwatch.StartNew();
        const int batch = 5000;
        await Parallel.ForEachAsync(Enumerable.Range(0, (int)((points + batch - 1) / batch)), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, ct) =>
        {
            var json = new StringBuilder(batch * 64).Append("{\"device_external_id\":\"").Append(device).Append("\",\"events\":[");
            for (long i = b * (long)batch, n = Math.Min(points, (b + 1L) * batch); i < n; i++)
            {
                if (i > b * (long)batch) json.Append(',');
                var ts = start.AddTicks(step * i).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
                json.Append("{\"ts\":\"").Append(ts).Append("\",\"data\":{\"temperature\":").Append((i % 1000 / 10.0).ToString(CultureInfo.InvariantCulture)).Append("}}");
            }
            using var content = new StringContent(json.Append("]}").ToString(), Encoding.UTF8, "application/json");
            (await client.PostAsync("telemetry", content, ct)).EnsureSuccessStatusCode();
        });
        var loadSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        while (await PendingRollupsAsync(client) > 0) await Task.Delay(100);
        var readySeconds = clock.Elapsed.TotalSeconds;

        var range = $"start={start:yyyy-MM-dd'T'HH:mm:ss'Z'}&end={end.AddTicks(-10):yyyy-MM-dd'T'HH:mm:ss'Z'}";
        var url = $"api/v1/devices/{device}/aggregate?{range}&bucket=1h&metric=temperature";
        async Task<JsonElement> Query(string extra)
        {
            using var response = await client.GetAsync(url + extra);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data");
        }
        var raw = await Measure.TimesAsync(3, () => Query("&source=raw"));
        var first = await Measure.TimesAsync(1, () => Query(""));
        var warm = await Measure.TimesAsync(10, () => Query(""));
        var check = await Query("");
        var rawCheck = await Query("&source=raw");
        var agree = check.GetProperty("temperature").GetProperty("count").GetInt64() == rawCheck.GetProperty("temperature").GetProperty("count").GetInt64()
            && Math.Abs(check.GetProperty("temperature").GetProperty("avg").GetDouble() - rawCheck.GetProperty("temperature").GetProperty("avg").GetDouble()) < 1e-6;

        var rawMedian = Measure.Percentile(raw, 50);
        var warmMedian = Measure.Percentile(warm, 50);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            aggregate: {points:N0} points of one device-metric over {days} days, loaded in {loadSeconds:F1} s ({points / loadSeconds:N0} points/s through POST /telemetry)
              hourly buckets ({check.GetProperty("buckets").GetArrayLength():N0}) over the whole range:
                raw rows                     median {rawMedian,9:F1} ms  (of {raw.Length})
                rolled up in the background  {readySeconds,9:F1} s after the load
                rollups, first query         {first[0],9:F1} ms
                rollups, built               median {warmMedian,9:F1} ms  p99 {Measure.Percentile(warm, 99):F1} ms  (of {warm.Length})
                raw / rollups: {rawMedian / warmMedian:F0}x   results agree: {(agree ? "yes" : "NO")}
            """));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aggregate_load_points_per_s {points / loadSeconds:F0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aggregate_raw_ms {rawMedian:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aggregate_ready_s {readySeconds:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aggregate_first_ms {first[0]:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aggregate_rollup_ms {warmMedian:F1}"));
        return agree ? 0 : 1;
    }

    /// <summary>Device-hours the server has written and not rolled up yet, from its /metrics.</summary>
    private static async Task<double> PendingRollupsAsync(HttpClient client)
    {
        var metrics = await client.GetStringAsync("metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("fleetwatch_rollup_backlog ", StringComparison.Ordinal));
        return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }
}
