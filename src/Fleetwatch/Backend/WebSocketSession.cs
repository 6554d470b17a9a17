using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Http;
using Fleetwatch.Streams;

namespace Fleetwatch.Backend;

/// <summary>A WebSocket subscriber: one loop sends queued events, the other answers the client's actions.</summary>
internal sealed class WebSocketSession(WebSocket socket, Subscription subscription, StreamHub hub, Scope scope, HttpContext http)
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
