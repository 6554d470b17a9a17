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

    private static Task SeedAsync(HttpClient client, int devices, string prefix) =>
        Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (d, ct) =>
            (await client.PostAsJsonAsync("status", new
            {
                device_id = prefix + d.ToString(CultureInfo.InvariantCulture), timestamp = "2026-01-01T00:00:00Z", battery_level = d % 101, rssi = -(d % 90), online = d % 3 != 0,
            }, ct)).EnsureSuccessStatusCode());
}
