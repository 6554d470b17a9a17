using System.Globalization;
using System.Net.Http.Json;

namespace Fleetwatch.Load;

/// <summary>Statuses for many devices, and the summary of a project of 10,000 devices.</summary>
public static class StatusBench
{
    /// <summary>One status for each of dev-0 … dev-(N−1), as the latest-status GET scenario reads them.</summary>
    public static async Task<int> SeedAsync(Options options)
    {
        var devices = (int)options.Long("devices", 100_000);
        using var client = options.Client(32);
        await SeedAsync(client, devices, "dev-");
        return 0;
    }

    public static async Task<int> SummaryAsync(Options options)
    {
        var devices = (int)options.Long("devices", 10_000);
        using var admin = options.Client();
        var (_, key) = await Options.NewProjectAsync(admin, "summary");
        using var client = (options with { Key = key }).Client(32);
        await SeedAsync(client, devices, "s-");

        for (var i = 0; i < 5; i++) (await client.GetAsync("status/summary")).EnsureSuccessStatusCode();
        var times = await Measure.TimesAsync(50, async () => (await client.GetAsync("status/summary")).EnsureSuccessStatusCode());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"summary_ms_p50 {Measure.Percentile(times, 50):F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"summary_ms_p99 {Measure.Percentile(times, 99):F2}"));
        return 0;
    }

    /// <summary>
    /// Page 1 of a device's status history (the default request) with a thousand statuses and with many more: the
    /// page should cost the same whatever the device's total.
    /// </summary>
    public static async Task<int> HistoryAsync(Options options)
    {
        var many = (int)options.Long("statuses", 200_000);
        using var admin = options.Client();
        var (_, key) = await Options.NewProjectAsync(admin, "history");
        using var client = (options with { Key = key }).Client(32);
        foreach (var (device, count) in new[] { ("few", 1_000), ("many", many) })
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
                (await client.PostAsJsonAsync("status", new
                {
                    device_id = device, timestamp = DateTime.UnixEpoch.AddSeconds(1_700_000_000 + i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    battery_level = i % 101, rssi = -50, online = true,
                }, ct)).EnsureSuccessStatusCode());
            for (var i = 0; i < 5; i++) (await client.GetAsync($"status/{device}/history")).EnsureSuccessStatusCode();
            var times = await Measure.TimesAsync(50, async () => (await client.GetAsync($"status/{device}/history")).EnsureSuccessStatusCode());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"history_{device}_ms_p50 {Measure.Percentile(times, 50):F2}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"history_many {many}"));
        return 0;
    }

    private static Task SeedAsync(HttpClient client, int devices, string prefix) =>
        Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (d, ct) =>
            (await client.PostAsJsonAsync("status", new
            {
                device_id = prefix + d.ToString(CultureInfo.InvariantCulture), timestamp = "2026-01-01T00:00:00Z", battery_level = d % 101, rssi = -(d % 90), online = d % 3 != 0,
            }, ct)).EnsureSuccessStatusCode());
}
