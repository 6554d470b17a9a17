namespace Fleetwatch.Fleet;

/// <summary>
/// Formats nanoseconds exactly as Go's <c>time.Duration.String()</c>, which the device simulator compares
/// digit for digit: <c>0s</c>, <c>1ns</c>, <c>1.5µs</c> (U+00B5), <c>500ms</c>, <c>1m0s</c>, <c>3h0m0.000000001s</c>.
/// Nanoseconds stay a <see cref="long"/>: a TimeSpan would round them to 100 ns ticks.
/// </summary>
public static class GoDuration
{
    private const ulong Microsecond = 1_000, Millisecond = 1_000_000, Second = 1_000_000_000;

    public static string Format(long nanoseconds)
    {
        Span<char> buf = stackalloc char[32];
        var w = buf.Length;
        var neg = nanoseconds < 0;
        // Two's complement negation in unsigned arithmetic, so long.MinValue works too.
        var u = neg ? 0UL - (ulong)nanoseconds : (ulong)nanoseconds;

        if (u < Second)
        {
            // Below one second a single smaller unit: 1.2ms, 1.5µs, 7ns.
            int precision;
            buf[--w] = 's';
            w--;
            if (u == 0)
            {
                buf[w] = '0';
                return new string(buf[w..]);
            }
            if (u < Microsecond)
            {
                precision = 0;
                buf[w] = 'n';
            }
            else if (u < Millisecond)
            {
                precision = 3;
                buf[w] = '\u00B5';
            }
            else
            {
                precision = 6;
                buf[w] = 'm';
            }
            w = FormatFraction(buf[..w], ref u, precision);
            w = FormatInt(buf[..w], u);
        }
        else
        {
            buf[--w] = 's';
            w = FormatFraction(buf[..w], ref u, 9);
            // u is whole seconds now.
            w = FormatInt(buf[..w], u % 60);
            u /= 60;
            if (u > 0)
            {
                buf[--w] = 'm';
                w = FormatInt(buf[..w], u % 60);
                u /= 60;
                if (u > 0)
                {
                    buf[--w] = 'h';
                    w = FormatInt(buf[..w], u);
                }
            }
        }
        if (neg) buf[--w] = '-';
        return new string(buf[w..]);
    }

    /// <summary>Writes the last <paramref name="precision"/> digits of v as a fraction without trailing zeros (and no point when all are zero), leaving the integer part in v.</summary>
    private static int FormatFraction(Span<char> buf, ref ulong v, int precision)
    {
        var w = buf.Length;
        var print = false;
        for (var i = 0; i < precision; i++)
        {
            var digit = v % 10;
            print = print || digit != 0;
            if (print) buf[--w] = (char)(digit + '0');
            v /= 10;
        }
        if (print) buf[--w] = '.';
        return w;
    }

    private static int FormatInt(Span<char> buf, ulong v)
    {
        var w = buf.Length;
        if (v == 0) buf[--w] = '0';
        while (v > 0)
        {
            buf[--w] = (char)(v % 10 + '0');
            v /= 10;
        }
        return w;
    }
}
