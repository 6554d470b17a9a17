using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>A WebSocket client of the live streams, reading one JSON frame at a time.</summary>
public sealed class LiveStream(ClientWebSocket socket) : IAsyncDisposable
{
    public static async Task<LiveStream> ConnectAsync(TestServer server, string path, string key)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-API-Key", key);
        var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = path.Split('?')[0], Query = path.Contains('?') ? path.Split('?')[1] : "" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new LiveStream(socket);
    }

    public ClientWebSocket Socket => socket;

    public async Task<JsonElement> ReceiveAsync(int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }

    public Task SendAsync(string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(2000);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }
        socket.Dispose();
    }
}
