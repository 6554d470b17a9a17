using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Fleetwatch.Http;

/// <summary>
/// Finds the string in a JSON body that is not valid Unicode text: invalid UTF-8 bytes, or an escape of an unpaired
/// surrogate such as <c>"\ud800"</c>. System.Text.Json reads past both and throws only when the string is turned into
/// a .NET string (an <see cref="InvalidOperationException"/>, which would be a 500). The parsers stay one pass over
/// the bytes; this second, slower walk runs only after such a failure, to name the field (CONTRACTS.md, "Malformed input").
/// </summary>
public static class JsonText
{
    private const string Reason = "is not valid Unicode text: invalid UTF-8 bytes or an unpaired surrogate escape such as \\ud800";

    /// <summary>The 400 for <paramref name="error"/> thrown while parsing <paramref name="json"/>, or null when it is not a body fault (rethrow it).</summary>
    public static ProblemResult? Unreadable(Exception error, ReadOnlySpan<byte> json)
    {
        if (error is JsonException malformed) return JsonBody.Malformed(malformed);
        return error is InvalidOperationException ? InvalidTextProblem(json) : null;
    }

    /// <summary>A 400 naming the first string of <paramref name="json"/> that is not valid text, or null when all are.</summary>
    public static ProblemResult? InvalidTextProblem(ReadOnlySpan<byte> json)
    {
        if (FindInvalidText(json) is not { } invalid) return null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal) { [invalid.Field] = [invalid.Reason] };
        return new ProblemResult(StatusCodes.Status400BadRequest, $"{invalid.Field}: {invalid.Reason}", errors);
    }

    /// <summary>The path of the first string that is not valid text (<c>events[3].data.label</c>) and why, or null.</summary>
    public static (string Field, string Reason)? FindInvalidText(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        // One frame per open container: the property name last read in an object, the next index in an array.
        var path = new List<(string? Property, int Index, bool IsArray)>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        path[^1] = (null, 0, false);
                        if (!IsValidText(ref reader)) return (PathOf(path), "has a property name that " + Reason);
                        path[^1] = (reader.GetString(), 0, false);
                        break;
                    case JsonTokenType.String:
                        if (!IsValidText(ref reader)) return (PathOf(path), Reason);
                        Advance(path);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Add((null, 0, reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        Advance(path);
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed after the bad text was passed; nothing more to name.
        }
        return null;
    }

    private static bool IsValidText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence) return Utf8.IsValid(reader.ValueSpan);
        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>After a value in an array, the next one has the next index.</summary>
    private static void Advance(List<(string? Property, int Index, bool IsArray)> path)
    {
        if (path.Count > 0 && path[^1].IsArray) path[^1] = (null, path[^1].Index + 1, true);
    }

    private static string PathOf(List<(string? Property, int Index, bool IsArray)> path)
    {
        var text = new StringBuilder();
        foreach (var (name, index, isArray) in path)
        {
            if (isArray) text.Append('[').Append(index).Append(']');
            else if (name is not null) text.Append(text.Length > 0 ? "." : "").Append(name);
        }
        return text.Length > 0 ? text.ToString() : "body";
    }
}
