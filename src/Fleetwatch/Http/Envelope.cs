using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fleetwatch.Http;

/// <summary>
/// The telemetry backend's success envelope: <c>{success: true, data, error: null, code: null, timestamp}</c>.
/// <c>data</c> is written by the caller, so events with free-form payloads need no intermediate objects.
/// </summary>
public sealed class Envelope(int status, Action<Utf8JsonWriter> writeData) : IResult, IStatusCodeHttpResult
{
    int? IStatusCodeHttpResult.StatusCode => status;

    public static Envelope Of<T>(int status, T value, JsonTypeInfo<T> type) => new(status, json => JsonSerializer.Serialize(json, value, type));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteBoolean("success", true);
        json.WritePropertyName("data");
        writeData(json);
        json.WriteNull("error");
        json.WriteNull("code");
        json.WriteString("timestamp", Timestamps.Format(Model.Clock.NowMicros()));
        json.WriteEndObject();
        await json.FlushAsync(httpContext.RequestAborted);
    }
}
