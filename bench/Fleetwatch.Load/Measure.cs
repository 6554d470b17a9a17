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
}
