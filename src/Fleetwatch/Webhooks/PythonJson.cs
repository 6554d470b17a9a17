using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fleetwatch.Webhooks;

/// <summary>
/// JSON exactly as Python's <c>json.dumps(obj, sort_keys=True, separators=(",", ":"))</c> writes it, which is what
/// the original service signed and sent (CONTRACTS.md §3, webhook delivery). Receivers compare bodies byte for byte
/// and re-serialise them, so the differences from System.Text.Json matter: keys sorted by code point at every level;
/// only <c>"</c>, <c>\</c>, control characters and non-ASCII escaped (<c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>,
/// <c>'</c>, <c>+</c> written as themselves), with lowercase hex; floats written as Python's <c>repr</c> does.
/// </summary>
public static class PythonJson
{
    /// <summary>The document re-written in Python's form. Numbers keep their source text, so write floats with <see cref="Float"/>.</summary>
    public static void Write(StringBuilder output, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                output.Append('{');
                var first = true;
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, CodePointComparer.Instance))
                {
                    if (!first) output.Append(',');
                    first = false;
                    WriteString(output, property.Name);
                    output.Append(':');
                    Write(output, property.Value);
                }
                output.Append('}');
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (index++ > 0) output.Append(',');
                    Write(output, item);
                }
                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(output, element.GetString()!);
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                output.Append(element.GetRawText());
                break;
        }
    }

    /// <summary>A string as <c>json.dumps</c> with <c>ensure_ascii=True</c> writes it.</summary>
    public static void WriteString(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                // Printable ASCII (space to ~) as itself; everything else, surrogate halves included, as \uxxxx.
                case >= ' ' and <= '~': output.Append(c); break;
                default: output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
            }
        }
        output.Append('"');
    }

    /// <summary>
    /// A finite double as Python's <c>repr(float)</c>: the shortest digits that round-trip, positional from 1e-4 up
    /// to below 1e16 with at least one decimal (<c>30.0</c>, <c>0.0001</c>), scientific outside it (<c>1e-05</c>, <c>1e+16</c>).
    /// </summary>
    public static string Float(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), "JSON has no infinities or NaN");
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        // "E16" is not shortest; "R" is, in either positional or exponent form: take its digits and exponent apart.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = shortest.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? shortest : shortest[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(shortest.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = (point < 0 ? mantissa : mantissa.Remove(point, 1)).TrimStart('0');
        var leadingZeros = (point < 0 ? mantissa : mantissa.Remove(point, 1)).Length - digits.Length;
        // decimalPoint: where the point sits relative to the first significant digit (Python's "decpt").
        var decimalPoint = (point < 0 ? mantissa.Length : point) - leadingZeros + exponent;
        digits = digits.TrimEnd('0');

        var text = new StringBuilder();
        if (value < 0) text.Append('-');
        if (decimalPoint is > -4 and <= 16)
        {
            if (decimalPoint <= 0) text.Append("0.").Append('0', -decimalPoint).Append(digits);
            else if (decimalPoint >= digits.Length) text.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
            else text.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }
        else
        {
            text.Append(digits[0]);
            if (digits.Length > 1) text.Append('.').Append(digits, 1, digits.Length - 1);
            var e = decimalPoint - 1;
            text.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString("00", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Python sorts str keys by code point; ordinal UTF-16 order differs only above U+FFFF, but then it does.</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x!.EnumerateRunes();
            var b = y!.EnumerateRunes();
            while (true)
            {
                var moreA = a.MoveNext();
                var moreB = b.MoveNext();
                if (!moreA || !moreB) return moreA.CompareTo(moreB);
                var order = a.Current.Value.CompareTo(b.Current.Value);
                if (order != 0) return order;
            }
        }
    }
}
