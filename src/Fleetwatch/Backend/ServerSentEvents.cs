using System.Buffers;
using System.Text.Json;
using Fleetwatch.Streams;

namespace Fleetwatch.Backend;

/// <summary>
/// The same frames as the WebSocket streams, as Server-Sent Events on the same paths (a plain GET), for clients
/// that cannot open a WebSocket. One-way: subscribe and ping are WebSocket actions.
/// </summary>
internal static class ServerSentEvents
{
    public static async Task RunAsync(HttpContext http, Subscription subscription, string ack, CancellationToken ended)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var buffer = new ArrayBufferWriter<byte>(1024);
        async Task SendAsync(Action<Utf8JsonWriter> write)
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer)) write(json);
            await response.WriteAsync("data: ", ended);
            await response.Body.WriteAsync(buffer.WrittenMemory, ended);
            await response.WriteAsync("\n\n", ended);
            await response.Body.FlushAsync(ended);
        }
        try
        {
            await SendAsync(json => StreamFrames.Ack(json, ack));
            await foreach (var (dropped, item) in subscription.ReadAllAsync(ended))
                await SendAsync(json => StreamFrames.Next(json, dropped, item));
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the server is stopping.
        }
    }
}
