using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Backend;

/// <summary>The telemetry backend's health: <c>{status: "healthy", timestamp, websocket_connections, database}</c>.</summary>
public sealed record BackendHealthResponse(string Status, string Timestamp, int WebsocketConnections, string Database);

public static class BackendHealthApi
{
    /// <summary><c>GET /api/v1/health</c>, no key: "healthy", or "unhealthy" with 503 when the database does not answer.</summary>
    public static void MapBackendHealth(this IEndpointRouteBuilder routes) =>
        routes.MapHealthGroup().MapGet("/api/v1/health", async (IDatabase database, Streams.StreamHub streams, CancellationToken ct) =>
        {
            var up = await HealthApi.PingAsync(database, ct);
            return TypedResults.Json(new BackendHealthResponse(up ? "healthy" : "unhealthy", Timestamps.Format(Clock.NowMicros()), streams.Count,
                up ? "connected" : "disconnected"), FleetwatchJsonContext.Default.BackendHealthResponse, statusCode: up ? 200 : 503);
        }).WithTags(ApiTags.Backend).WithSummary("Check the backend's health")
        .WithDescription("\"healthy\" with the live stream count, or \"unhealthy\" with 503 when the database does not answer. No key.")
        .Produces<BackendHealthResponse>().Produces<BackendHealthResponse>(StatusCodes.Status503ServiceUnavailable);
}
