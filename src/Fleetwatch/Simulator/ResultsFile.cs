using System.Globalization;
using System.Net;
using System.Text;

namespace Fleetwatch.Simulator;

/// <summary>One device's verdict: what the simulator expected and what the server reported.</summary>
public sealed record DeviceResult(DevicePlan Plan, ReportedStats Reported)
{
    // The server's uptime is a float computed in its own order of operations: agree to a billionth.
    private const double UptimeTolerance = 1e-9;

    public bool UptimeMatches => Plan.HasData
        ? Reported.Status == HttpStatusCode.OK && Reported.Uptime is { } actual && Math.Abs(actual - Plan.ExpectedUptime) <= UptimeTolerance * Math.Max(1, Plan.ExpectedUptime)
        : Reported.Status == HttpStatusCode.NoContent;

    public bool AverageMatches => Plan.HasData
        ? Reported.Status == HttpStatusCode.OK && Reported.AverageUploadTime == Plan.ExpectedAverageUploadTime
        : Reported.Status == HttpStatusCode.NoContent;

    public bool Matches => UptimeMatches && AverageMatches;
}

/// <summary>
/// <c>results.txt</c> in the original simulator's layout: per device its id, then Uptime and AvgUploadTime,
/// each Expected and Actual; then a pass/fail summary.
/// </summary>
public static class ResultsFile
{
    public static void Write(string path, IReadOnlyList<DeviceResult> results, string summary)
    {
        var text = new StringBuilder();
        foreach (var result in results)
        {
            text.Append("DeviceID: ").Append(result.Plan.DeviceId).Append('\n');
            text.Append("    Uptime        Expected: ").Append(Pad(ExpectedUptime(result.Plan), 18))
                .Append(" Actual: ").Append(Pad(ActualUptime(result.Reported), 18)).Append(Verdict(result.UptimeMatches)).Append('\n');
            text.Append("    AvgUploadTime Expected: ").Append(Pad(ExpectedAverage(result.Plan), 18))
                .Append(" Actual: ").Append(Pad(ActualAverage(result.Reported), 18)).Append(Verdict(result.AverageMatches)).Append('\n');
            text.Append('\n');
        }
        text.Append(summary).Append('\n');
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static string ExpectedUptime(DevicePlan plan) => plan.HasData ? Uptime(plan.ExpectedUptime) : "(no data, 204)";
    private static string ExpectedAverage(DevicePlan plan) => plan.HasData ? plan.ExpectedAverageUploadTime : "(no data, 204)";

    private static string ActualUptime(ReportedStats reported) =>
        reported.Status != HttpStatusCode.OK ? Status(reported) : reported.Uptime is { } uptime ? Uptime(uptime) : "(missing)";

    private static string ActualAverage(ReportedStats reported) =>
        reported.Status != HttpStatusCode.OK ? Status(reported) : reported.AverageUploadTime ?? "(missing)";

    private static string Uptime(double value) => value.ToString("F5", CultureInfo.InvariantCulture);
    private static string Status(ReportedStats reported) => $"(HTTP {(int)reported.Status})";
    private static string Pad(string text, int width) => text.PadRight(width);
    private static string Verdict(bool matches) => matches ? " ✓" : " ✗ MISMATCH";
}
