using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Telemetry;
using Fleetwatch.Http;
using Fleetwatch.Streams;

namespace Fleetwatch.Backend;

/// <summary>
/// Live streams (CONTRACTS.md §4): a device's events as they are committed, over WebSocket — or as
/// Server-Sent Events on the same paths for clients without WebSocket. A device, read or admin key is
/// needed (header, or <c>?token=</c> for browsers); <c>/api/v1/stream/all</c> follows a whole project, or
/// one tag of it with <c>?tag=</c>.
/// </summary>
public static class StreamsApi
{
    private const int QueueCapacity = 1024;

    public static void MapStreams(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // Readers and device keys may listen (a device key to its own device); a bare ingest key of a project may not read its data.
        var streams = app.MapBackendGroup("/api/v1").WithMetadata(QueryTokenAccess.Instance);
        streams.Map("/realtime/subscribe/{device_id}", StreamDeviceAsync).RequireAccess(Access.Listen);
        streams.Map("/stream/devices/{device_id}", StreamDeviceAsync).RequireAccess(Access.Listen);
        streams.Map("/stream/all", (string? tag, HttpContext http) => StreamProjectAsync(http, tag)).RequireAccess(Access.Read);
    }

    private static async Task<IResult> StreamDeviceAsync(string device_id, HttpContext http)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var subscription = new Subscription(device.ProjectId, wholeProject: false, tag: null, QueueCapacity);
        return await RunAsync(http, subscription, http.GetScope(), [device.Id], $"Subscribed to device: {device_id}");
    }

    private static async Task<IResult> StreamProjectAsync(HttpContext http, string? tag)
    {
        var subscription = new Subscription(http.GetScope().ProjectId, wholeProject: true, tag, QueueCapacity);
        return await RunAsync(http, subscription, http.GetScope(), [], tag is null ? "Subscribed to all devices" : $"Subscribed to devices tagged: {tag}");
    }

    private static async Task<IResult> RunAsync(HttpContext http, Subscription subscription, Scope scope, long[] devices, string ack)
    {
        var hub = http.RequestServices.GetRequiredService<StreamHub>();
        // A stream never ends by itself: end it when the server stops, or shutdown would wait for every subscriber.
        var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        hub.Add(subscription);
        foreach (var device in devices) hub.Follow(subscription, device);
        try
        {
            if (http.WebSockets.IsWebSocketRequest)
            {
                using var socket = await http.WebSockets.AcceptWebSocketAsync();
                await new WebSocketSession(socket, subscription, hub, scope, http).RunAsync(ack, ended.Token);
            }
            else
            {
                await ServerSentEventsAsync(http, subscription, ack, ended.Token);
            }
        }
        finally
        {
            hub.Remove(subscription);
        }
        return Results.Empty;
    }

    private static async Task ServerSentEventsAsync(HttpContext http, Subscription subscription, string ack, CancellationToken ended)
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

    /// <summary>A WebSocket subscriber: one loop sends queued events, the other answers the client's actions.</summary>
    private sealed class WebSocketSession(WebSocket socket, Subscription subscription, StreamHub hub, Scope scope, HttpContext http)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly ArrayBufferWriter<byte> _out = new(1024);

        public async Task RunAsync(string ack, CancellationToken ended)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ended);
            await SendAsync(json => StreamFrames.Ack(json, ack), stop.Token);
            var sending = SendEventsAsync(stop.Token);
            try
            {
                await ReceiveAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // The client went away, or the server is stopping (a cancelled receive aborts the socket).
            }
            finally
            {
                await stop.CancelAsync();
                try
                {
                    await sending;
                }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException)
                {
                }
            }
        }

        private async Task SendEventsAsync(CancellationToken ct)
        {
            await foreach (var (dropped, item) in subscription.ReadAllAsync(ct))
                await SendAsync(json => StreamFrames.Next(json, dropped, item), ct);
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            const int MaxMessage = 64 * 1024;
            var buffer = new byte[4096];
            while (socket.State == WebSocketState.Open)
            {
                ValueWebSocketReceiveResult result;
                var length = 0;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessage)
                        {
                            await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "messages are at most 64 KiB", CancellationToken.None);
                            return;
                        }
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                await HandleAsync(buffer.AsSpan(0, length).ToArray(), ct);
            }
        }

        private async Task HandleAsync(byte[] message, CancellationToken ct)
        {
            string? action = null, deviceId = null;
            try
            {
                using var document = JsonDocument.Parse(message);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (document.RootElement.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String) action = a.GetString();
                    if (document.RootElement.TryGetProperty("device_id", out var d) && d.ValueKind == JsonValueKind.String) deviceId = d.GetString();
                }
            }
            catch (Exception e) when (e is JsonException || JsonText.Unreadable(e, message) is not null)
            {
                await SendAsync(json => StreamFrames.Error(json, "INVALID_JSON", "The message is not JSON of valid Unicode text"), ct);
                return;
            }
            switch (action)
            {
                case "ping":
                    await SendAsync(StreamFrames.Pong, ct);
                    break;
                case "subscribe" or "unsubscribe" when deviceId is not null:
                    if (http.RequestServices.GetRequiredService<DeviceRegistry>().Find(scope, deviceId) is not { Id: var id })
                    {
                        await SendAsync(json => StreamFrames.Error(json, "DEVICE_NOT_FOUND", $"Device not found: {deviceId}"), ct);
                        break;
                    }
                    if (action == "subscribe") hub.Follow(subscription, id);
                    else hub.Unfollow(subscription, id);
                    await SendAsync(json => StreamFrames.Ack(json, action == "subscribe" ? $"Subscribed to device: {deviceId}" : $"Unsubscribed from device: {deviceId}"), ct);
                    break;
                case "subscribe" or "unsubscribe":
                    await SendAsync(json => StreamFrames.Error(json, "INVALID_PAYLOAD", "device_id is required"), ct);
                    break;
                default:
                    await SendAsync(json => StreamFrames.Error(json, "UNKNOWN_ACTION", $"Unknown action: {action ?? "(none)"}"), ct);
                    break;
            }
        }

        private async Task SendAsync(Action<Utf8JsonWriter> write, CancellationToken ct)
        {
            await _sending.WaitAsync(ct);
            try
            {
                _out.ResetWrittenCount();
                using (var json = new Utf8JsonWriter(_out)) write(json);
                await socket.SendAsync(_out.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
            finally
            {
                _sending.Release();
            }
        }
    }
}

/// <summary>The stream's JSON frames.</summary>
public static class StreamFrames
{
    public static void Ack(Utf8JsonWriter json, string message)
    {
        json.WriteStartObject();
        json.WriteString("type", "ack");
        json.WriteString("message", message);
        json.WriteEndObject();
    }

    public static void Pong(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type", "pong");
        json.WriteEndObject();
    }

    public static void Error(Utf8JsonWriter json, string code, string message)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteEndObject();
    }

    /// <summary>A gap marker when <paramref name="dropped"/> is not 0, else the item's reading.</summary>
    public static void Next(Utf8JsonWriter json, long dropped, StreamItem item)
    {
        if (dropped != 0) Gap(json, dropped);
        else Reading(json, item);
    }

    /// <summary>Sent when a subscriber lost events: how many when it was too slow, null when the count is unknown (a resync).</summary>
    public static void Gap(Utf8JsonWriter json, long dropped)
    {
        json.WriteStartObject();
        json.WriteString("type", "gap");
        if (dropped > 0) json.WriteNumber("dropped", dropped);
        else json.WriteNull("dropped");
        json.WriteEndObject();
    }

    public static void Reading(Utf8JsonWriter json, StreamItem item)
    {
        json.WriteStartObject();
        json.WriteString("type", "reading");
        json.WriteString("device_id", item.ExternalId);
        json.WriteString("kind", EventJson.KindName(item.Event.Kind));
        json.WritePropertyName("data");
        EventJson.WriteReading(json, item.Event, item.ExternalId);
        json.WriteEndObject();
    }
}
