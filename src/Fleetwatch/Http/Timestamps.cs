using System.Globalization;
using Fleetwatch.Model;

namespace Fleetwatch.Http;

/// <summary>
/// RFC 3339 / ISO 8601 date-times. One without an offset is read as UTC, never as the server's local time
/// (CONTRACTS.md, "Rules for every API"): the old services' Python clients send
/// <c>datetime.utcnow().isoformat()</c>. Fractions of any length are accepted (Go clients send nine digits,
/// more than DateTimeOffset parses) and kept to the microsecond.
/// </summary>
public static class Timestamps
{
    public const string FormatHint = "an ISO 8601 date-time such as 2024-06-14T10:00:00Z (UTC when it has no offset)";

    public static bool TryParse(ReadOnlySpan<char> s, out long micros)
    {
        micros = 0;
        // yyyy-MM-ddTHH:mm:ss is 19 characters; then an optional fraction and an optional offset.
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] is not ('T' or 't' or ' ')) || s[13] != ':' || s[16] != ':')
            return false;
        if (!TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day)
            || !TryDigits(s.Slice(11, 2), out var hour) || !TryDigits(s.Slice(14, 2), out var minute) || !TryDigits(s.Slice(17, 2), out var second))
            return false;
        var pos = 19;
        long fractionMicros = 0;
        if (pos < s.Length && s[pos] == '.')
        {
            pos++;
            var start = pos;
            var scale = 100_000L;
            while (pos < s.Length && char.IsAsciiDigit(s[pos]))
            {
                fractionMicros += (s[pos] - '0') * scale;
                scale /= 10;
                pos++;
            }
            if (pos == start) return false;
        }
        int offsetMinutes;
        if (pos == s.Length)
        {
            offsetMinutes = 0;
        }
        else if (s[pos] is 'Z' or 'z')
        {
            offsetMinutes = 0;
            pos++;
        }
        else if (s[pos] is '+' or '-')
        {
            if (s.Length - pos != 6 || s[pos + 3] != ':' || !TryDigits(s.Slice(pos + 1, 2), out var oh) || !TryDigits(s.Slice(pos + 4, 2), out var om)
                || oh > 23 || om > 59)
                return false;
            offsetMinutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
            pos += 6;
        }
        else
        {
            return false;
        }
        if (pos != s.Length) return false;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
            return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var utcTicks = local.Ticks - offsetMinutes * TimeSpan.TicksPerMinute;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        micros = (utcTicks - DateTime.UnixEpoch.Ticks) / 10 + fractionMicros;
        return true;
    }

    /// <summary>As <see cref="Format(long)"/>; null stays null.</summary>
    public static string? FormatOrNull(long? micros) => micros is { } value ? Format(value) : null;

    /// <summary>UTC with a Z, and the fraction only as long as it needs to be: 2024-06-14T10:00:00Z, 2024-06-14T10:00:01.123Z.</summary>
    public static string Format(long micros)
    {
        var time = Clock.FromMicros(micros);
        var fraction = (int)(((micros % 1_000_000) + 1_000_000) % 1_000_000);
        if (fraction == 0) return time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var digits = fraction.ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0');
        return string.Concat(time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), ".", digits, "Z");
    }

    private static bool TryDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
