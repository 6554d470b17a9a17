using System.Text.Json;

namespace Fleetwatch.Http;

/// <summary>
/// Small JSON object bodies of the management endpoints (orgs, projects, keys, devices): read whole, parsed
/// into a document, and validated field by field, each violation named. Not for the ingest paths, which parse
/// in one pass without a document.
/// </summary>
public static class JsonRequest
{
    public const int MaxManagementBodyBytes = 64 * 1024;

    /// <summary>The body as a JSON object, or the problem (415, 413, 400 malformed, 422 not an object). An absent body is <c>{}</c> when allowed.</summary>
    public static async ValueTask<(JsonDocument? Document, ProblemResult? Problem)> ReadObjectAsync(HttpRequest request, bool allowEmpty = false)
    {
        if (allowEmpty && request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any()) return (JsonDocument.Parse("{}"), null);
        var (body, problem) = await JsonBody.ReadAsync(request, MaxManagementBodyBytes);
        if (problem is not null) return (null, problem);
        using (body)
        {
            try
            {
                var document = JsonDocument.Parse(body.Span.ToArray());
                // The handlers read strings from the document later, where bad text would throw: look once, here.
                if (JsonText.InvalidTextProblem(body.Span) is { } invalid)
                {
                    document.Dispose();
                    return (null, invalid);
                }
                if (document.RootElement.ValueKind == JsonValueKind.Object) return (document, null);
                document.Dispose();
                return (null, Problems.Validation("body", "must be a JSON object"));
            }
            catch (JsonException e)
            {
                return (null, JsonBody.Malformed(e));
            }
        }
    }

    /// <summary>A string field of 1 to <paramref name="maxLength"/> characters after trimming; null (and an error when required) otherwise.</summary>
    public static string? Text(JsonElement body, string name, int maxLength, bool required, ref Dictionary<string, string[]>? errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) ValidationErrors.Add(ref errors, name, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            ValidationErrors.Add(ref errors, name, $"must be a string, not {Describe(value)}");
            return null;
        }
        var text = value.GetString()!.Trim();
        if (text.Length == 0) ValidationErrors.Add(ref errors, name, "must not be empty");
        else if (text.Length > maxLength) ValidationErrors.Add(ref errors, name, $"must be at most {maxLength} characters");
        else return text;
        return null;
    }

    /// <summary>An array of strings, each 1 to <paramref name="maxLength"/> characters after trimming.</summary>
    public static string[]? TextArray(JsonElement body, string name, int maxItems, int maxLength, bool required, ref Dictionary<string, string[]>? errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) ValidationErrors.Add(ref errors, name, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            ValidationErrors.Add(ref errors, name, $"must be an array of strings, not {Describe(value)}");
            return null;
        }
        if (value.GetArrayLength() > maxItems)
        {
            ValidationErrors.Add(ref errors, name, $"must have at most {maxItems} items");
            return null;
        }
        var items = new List<string>();
        var index = 0;
        var valid = true;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"{name}[{index++}]";
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : null;
            if (text is null) ValidationErrors.Add(ref errors, field, $"must be a string, not {Describe(item)}");
            else if (text.Length > maxLength) ValidationErrors.Add(ref errors, field, $"must be at most {maxLength} characters");
            else items.Add(text);
            valid &= text is not null && text.Length <= maxLength;
        }
        return valid ? [.. items] : null;
    }

    /// <summary>A JSON number (not a string, not a boolean), finite; null when absent.</summary>
    public static double? Number(JsonElement body, string name, ref Dictionary<string, string[]>? errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)) return number;
        ValidationErrors.Add(ref errors, name, $"must be a number, not {Describe(value)}");
        return null;
    }

    /// <summary>A JSON integer from <paramref name="min"/> to <paramref name="max"/>; null when absent.</summary>
    public static int? Integer(JsonElement body, string name, int min, int max, ref Dictionary<string, string[]>? errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var integer) && integer >= min && integer <= max) return integer;
        ValidationErrors.Add(ref errors, name, $"must be a whole number from {min} to {max}");
        return null;
    }

    /// <summary>A JSON boolean; null when absent.</summary>
    public static bool? Boolean(JsonElement body, string name, ref Dictionary<string, string[]>? errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        ValidationErrors.Add(ref errors, name, $"must be true or false, not {Describe(value)}");
        return null;
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
