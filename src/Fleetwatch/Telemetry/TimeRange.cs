using System.Globalization;
using System.Text.RegularExpressions;
using Fleetwatch.Http;

namespace Fleetwatch.Telemetry;

/// <summary>
/// A query's time range: <c>range=24h</c> (s, m, h or d, back from now, the default 24h) or <c>start</c> and
/// <c>end</c> (RFC 3339 with an offset, or Unix seconds); a start alone runs to now. Start must precede end.
/// </summary>
public readonly partial record struct TimeRange(long FromMicros, long ToMicros)
{
    [GeneratedRegex("^([0-9]{1,6})([smhd])$")]
    private static partial Regex RangeFormat();

    public static (TimeRange Range, ProblemResult? Problem) Parse(string? range, string? start, string? end, long nowMicros)
    {
        Dictionary<string, string[]>? errors = null;
        long? from = start is null ? null : Instant(start, "start", ref errors);
        long? to = end is null ? null : Instant(end, "end", ref errors);
        var span = Span(range ?? "24h", ref errors);
        if (errors is not null) return (default, Problems.Validation(errors));
        var toMicros = to ?? nowMicros;
        var fromMicros = from ?? toMicros - span;
        if (fromMicros >= toMicros) return (default, Problems.BadRequest("start must be before end"));
        return (new TimeRange(fromMicros, toMicros), null);
    }

    /// <summary>A bucket width: 1m, 5m, 15m, 1h, 6h or 1d, aligned to UTC.</summary>
    public static long? BucketMicros(string bucket) => bucket switch
    {
        "1m" => 60_000_000L,
        "5m" => 300_000_000L,
        "15m" => 900_000_000L,
        "1h" => 3_600_000_000L,
        "6h" => 21_600_000_000L,
        "1d" => 86_400_000_000L,
        _ => null,
    };

    private static long Span(string range, ref Dictionary<string, string[]>? errors)
    {
        var match = RangeFormat().Match(range);
        if (!match.Success)
        {
            ValidationErrors.Add(ref errors, "range", "must be a number and a unit, such as 30m, 24h or 7d");
            return 0;
        }
        var amount = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return amount * match.Groups[2].Value switch { "s" => 1_000_000L, "m" => 60_000_000L, "h" => 3_600_000_000L, _ => 86_400_000_000L };
    }

    private static long? Instant(string text, string field, ref Dictionary<string, string[]>? errors)
    {
        if (Timestamps.TryParse(text, out var micros)) return micros;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && Math.Abs(seconds) < 253_402_300_799)
            return (long)Math.Round(seconds * 1e6);
        ValidationErrors.Add(ref errors, field, $"must be {Timestamps.FormatHint}, or Unix seconds");
        return null;
    }
}
