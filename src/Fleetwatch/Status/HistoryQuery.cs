using Fleetwatch.Http;

namespace Fleetwatch.Status;

/// <summary>
/// The history query of both original services: <c>page</c>/<c>page_size</c>/<c>start_date</c>/<c>end_date</c>, or
/// <c>limit</c>/<c>since</c> (CONTRACTS.md §1). Parsed by hand so each bad parameter gets a 422 naming it.
/// </summary>
/// <param name="Unpaged">No paging parameter at all: each list keeps its own service's default (CONTRACTS.md §1).</param>
public sealed record HistoryQuery(bool LimitStyle, bool Unpaged, int Page, int PageSize, long FromMicros, long ToMicros)
{
    /// <summary>Variant b's default: <c>history</c> holds the newest 50 when no paging parameter is given.</summary>
    public const int UnpagedHistorySize = 50;

    /// <summary>How many records to read: the page, or the longer of the two lists when unpaged.</summary>
    public int ReadSize => Unpaged ? UnpagedHistorySize : PageSize;

    public static HistoryQuery? Parse(IQueryCollection query, out Dictionary<string, string[]>? errors)
    {
        errors = null;
        var limitStyle = query.ContainsKey("limit") || query.ContainsKey("since");
        if (limitStyle)
        {
            var limit = Int(query, "limit", 50, 1, 1000, ref errors);
            // "since" means after: a client polling with its last timestamp does not get that status again.
            var since = Time(query, "since", ref errors);
            return errors is null ? new HistoryQuery(true, false, 1, limit, since is { } s ? s + 1 : long.MinValue, long.MaxValue) : null;
        }

        var unpaged = !query.ContainsKey("page") && !query.ContainsKey("page_size");
        var page = Int(query, "page", 1, 1, int.MaxValue, ref errors);
        var pageSize = Int(query, "page_size", 10, 1, 100, ref errors);
        var start = Time(query, "start_date", ref errors);
        var end = Time(query, "end_date", ref errors);
        if (start > end) ValidationErrors.Add(ref errors, "start_date", "must not be after end_date");
        return errors is null ? new HistoryQuery(false, unpaged, page, pageSize, start ?? long.MinValue, end ?? long.MaxValue) : null;
    }

    private static int Int(IQueryCollection query, string name, int fallback, int min, int max, ref Dictionary<string, string[]>? errors)
    {
        if (!query.TryGetValue(name, out var values)) return fallback;
        if (!int.TryParse(values.ToString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            ValidationErrors.Add(ref errors, name, max == int.MaxValue ? $"must be a whole number of at least {min}" : $"must be a whole number from {min} to {max}");
            return fallback;
        }
        if (value < min || value > max)
        {
            ValidationErrors.Add(ref errors, name, max == int.MaxValue ? $"must be at least {min}, got {value}" : $"must be from {min} to {max}, got {value}");
            return fallback;
        }
        return value;
    }

    private static long? Time(IQueryCollection query, string name, ref Dictionary<string, string[]>? errors)
    {
        if (!query.TryGetValue(name, out var values)) return null;
        if (Timestamps.TryParse(values.ToString(), out var micros)) return micros;
        ValidationErrors.Add(ref errors, name, $"must be {Timestamps.FormatHint}");
        return null;
    }
}
