using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleetwatch.Http;

/// <summary>
/// An RFC 9457 problem, written by hand so every error, the framework's included, has one shape:
/// type, title, status, detail (always a string, carrying the old services' message text), the request id,
/// and for validation an <c>errors</c> map of field → reasons. Written whatever the Accept header says,
/// since a client that asked for text/plain still needs to learn what went wrong.
/// </summary>
/// <param name="envelopeCode">For the telemetry backend's clients: adds its envelope fields <c>success: false</c>, <c>error</c> and this <c>code</c>.</param>
public sealed class ProblemResult(int status, string detail, IReadOnlyDictionary<string, string[]>? errors = null,
    IReadOnlyList<KeyValuePair<string, string>>? extensions = null, string? envelopeCode = null) : IResult, IStatusCodeHttpResult
{
    public int StatusCode => status;
    int? IStatusCodeHttpResult.StatusCode => status;
    public string Detail => detail;
    public IReadOnlyDictionary<string, string[]>? Errors => errors;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        if (status == StatusCodes.Status401Unauthorized) response.Headers.WWWAuthenticate = "ApiKey header=\"X-API-Key\"";
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("type", TypeFor(status));
        json.WriteString("title", ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error");
        json.WriteNumber("status", status);
        json.WriteString("detail", detail);
        if (errors is not null)
        {
            json.WriteStartObject("errors");
            foreach (var (field, reasons) in errors)
            {
                json.WriteStartArray(field);
                foreach (var reason in reasons) json.WriteStringValue(reason);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        if (extensions is not null)
        {
            foreach (var (name, value) in extensions) json.WriteString(name, value);
        }
        if (envelopeCode is not null)
        {
            json.WriteBoolean("success", false);
            json.WriteString("error", detail);
            json.WriteString("code", envelopeCode);
        }
        json.WriteString("request_id", httpContext.TraceIdentifier);
        json.WriteEndObject();
        await json.FlushAsync(httpContext.RequestAborted);
    }

    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        405 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        422 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        429 => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}

public static class Problems
{
    public static ProblemResult Of(int status, string detail) => new(status, detail);

    public static ProblemResult NotFound(string detail) => new(StatusCodes.Status404NotFound, detail);

    public static ProblemResult BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    /// <summary>422 naming every invalid field; the detail names the first, for clients that only print detail.</summary>
    public static ProblemResult Validation(IReadOnlyDictionary<string, string[]> errors)
    {
        var (field, reasons) = errors.First();
        var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        return new ProblemResult(StatusCodes.Status422UnprocessableEntity, $"{field}: {reasons[0]}{more}", errors);
    }

    public static ProblemResult Validation(string field, string reason) => Validation(new Dictionary<string, string[]> { [field] = [reason] });

    /// <summary>A problem in the telemetry backend's terms: its envelope fields and error code ride along.</summary>
    public static ProblemResult Coded(ProblemResult problem, string code) => new(problem.StatusCode, problem.Detail, problem.Errors, envelopeCode: code);

    public static ProblemResult Coded(int status, string detail, string code) => new(status, detail, envelopeCode: code);
}
