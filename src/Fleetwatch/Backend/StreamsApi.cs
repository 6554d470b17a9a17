using Fleetwatch.Auth;
using Fleetwatch.Http;
using Fleetwatch.Devices;
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
        foreach (var path in new[] { "/realtime/subscribe/{device_id}", "/stream/devices/{device_id}" })
        {
            Documented(streams.MapGet(path, StreamDeviceAsync).RequireAccess(Access.Listen), "Follow a device live",
                "A WebSocket (upgrade this GET) or, for a plain GET, Server-Sent Events: an `ack` frame, then a `reading` frame per committed event of the " +
                "device, from any API and any node. Over WebSocket, `{\"action\":\"ping\"}`, `subscribe` and `unsubscribe` (with `device_id`). " +
                "A device, read or admin key, in `X-API-Key` or `?token=`.");
            // WebSockets over HTTP/2 open with CONNECT, which the API document cannot describe.
            streams.MapMethods(path, ["CONNECT"], StreamDeviceAsync).RequireAccess(Access.Listen).ExcludeFromDescription();
        }
        Documented(streams.MapGet("/stream/all", (string? tag, long? project_id, HttpContext http) => StreamProjectAsync(http, tag, project_id))
            .RequireAccess(Access.Read).WithTags(ApiTags.Fleetwatch), "Follow a whole project live",
            "As a device's stream, for every device of the key's project, or those with `?tag=`. A read or admin key; a server administrator's key " +
            "names the project with `?project_id=` (its default project otherwise).");
        streams.MapMethods("/stream/all", ["CONNECT"], (string? tag, long? project_id, HttpContext http) => StreamProjectAsync(http, tag, project_id))
            .RequireAccess(Access.Read).ExcludeFromDescription();
    }

    private static void Documented(RouteHandlerBuilder endpoint, string summary, string description) =>
        endpoint.WithSummary(summary).WithDescription(description).Produces<StreamFrame>(StatusCodes.Status200OK, "text/event-stream");

    private static async Task<IResult> StreamDeviceAsync(string device_id, HttpContext http)
    {
        var device = http.GetScope().Get<DeviceRecord>();
        var subscription = new Subscription(device.ProjectId, wholeProject: false, tag: null, QueueCapacity);
        return await RunAsync(http, subscription, http.GetScope(), [device.Id], $"Subscribed to device: {device_id}");
    }

    private static async Task<IResult> StreamProjectAsync(HttpContext http, string? tag, long? projectId)
    {
        var scope = http.GetScope();
        if (projectId is { } asked && asked != scope.ProjectId && !scope.Caller.CanSee(asked)) return Problems.NotFound("project not found");
        var subscription = new Subscription(projectId ?? scope.ProjectId, wholeProject: true, tag, QueueCapacity);
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
                await ServerSentEvents.RunAsync(http, subscription, ack, ended.Token);
            }
        }
        finally
        {
            hub.Remove(subscription);
        }
        return Results.Empty;
    }
}
