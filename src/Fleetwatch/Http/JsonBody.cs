using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Net.Http.Headers;

namespace Fleetwatch.Http;

/// <summary>A parser that reads a whole JSON body in one pass (throwing only for text that is not JSON).</summary>
public delegate T SpanParser<out T>(ReadOnlySpan<byte> json);

/// <summary>A request body read whole into a pooled buffer, within a size limit. Dispose returns the buffer.</summary>
public readonly struct JsonBody : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;

    private JsonBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public void Dispose()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
    }

    /// <summary>
    /// Reads the body, or says why not: 415 for a declared non-JSON content type (a missing one is read as
    /// JSON, as curl users often omit it), 413 past <paramref name="maxBytes"/>, 400 when empty.
    /// </summary>
    public static async ValueTask<(JsonBody Body, ProblemResult? Problem)> ReadAsync(HttpRequest request, int maxBytes)
    {
        if (request.ContentType is { Length: > 0 } contentType && !IsJson(contentType))
            return (default, Problems.Of(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be application/json, not {contentType}"));
        if (request.ContentLength > maxBytes) return (default, TooLarge(maxBytes));

        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var declared ? (int)declared : 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes) break;
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted);
                if (read == 0) break;
                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        ProblemResult? problem = length > maxBytes ? TooLarge(maxBytes)
            : length == 0 ? Problems.BadRequest("The request body is empty; expected a JSON object")
            // JSON text is UTF-8 (RFC 8259 §8.1). One vectorised pass refuses bad bytes anywhere, even in fields the parser skips.
            : !Utf8.IsValid(buffer.AsSpan(0, length)) ? JsonText.InvalidTextProblem(buffer.AsSpan(0, length)) ?? Problems.BadRequest("The request body is not valid UTF-8")
            : null;
        if (problem is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (default, problem);
        }
        return (new JsonBody(buffer, length), null);
    }

    /// <summary>
    /// Reads the body and hands it to a one-pass <paramref name="parse"/>: the problem when the body cannot be read, is
    /// not JSON, or holds text that is not valid Unicode (400 naming the field); else what the parser made of it.
    /// </summary>
    public static async ValueTask<(T? Parsed, ProblemResult? Problem)> ParseAsync<T>(HttpRequest request, int maxBytes, SpanParser<T> parse)
    {
        var (body, problem) = await ReadAsync(request, maxBytes);
        if (problem is not null) return (default, problem);
        using (body)
        {
            try
            {
                return (parse(body.Span), null);
            }
            catch (Exception e) when (JsonText.Unreadable(e, body.Span) is { } unreadable)
            {
                return (default, unreadable);
            }
        }
    }

    /// <summary>The problem for a body that is not JSON at all, naming where the parser stopped.</summary>
    public static ProblemResult Malformed(JsonException e) =>
        Problems.BadRequest($"Malformed JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].Trim()} (at byte {e.BytePositionInLine ?? 0} of line {e.LineNumber + 1 ?? 1})");

    private static ProblemResult TooLarge(int maxBytes) =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {maxBytes} bytes");

    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
