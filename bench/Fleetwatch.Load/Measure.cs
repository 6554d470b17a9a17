using System.Diagnostics;

namespace Fleetwatch.Load;

public static class Measure
{
    /// <summary>Runs <paramref name="action"/> <paramref name="times"/> times; returns each run's milliseconds.</summary>
    public static async Task<double[]> TimesAsync(int times, Func<Task> action)
    {
        var results = new double[times];
        for (var i = 0; i < times; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            results[i] = clock.Elapsed.TotalMilliseconds;
        }
        return results;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The server's live managed heap after a full collection (<c>GET /bench/heap</c>, mapped with <c>--Bench:NoopEndpoint true</c>).</summary>
    public static async Task<long> HeapAsync(HttpClient client) =>
        long.Parse(await client.GetStringAsync("bench/heap"), System.Globalization.CultureInfo.InvariantCulture);
}
