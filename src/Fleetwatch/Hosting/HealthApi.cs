using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Hosting;

public sealed record HealthResponse(string Status, string Database, string Timestamp, string Version, string Engine);

/// <summary>The platform API's database probe: <c>{"db":"ok"}</c>, or <c>"unavailable"</c> with 503.</summary>
public sealed record DbHealthResponse(string Db);

/// <summary><c>GET /health</c>, shared by the device-status and platform APIs (CONTRACTS.md §1): no key needed.</summary>
public static class HealthApi
{
    public static readonly string Version = typeof(HealthApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        var routes = endpoints.MapHealthGroup();
        routes.MapGet("/health", async (IDatabase database, CancellationToken ct) =>
        {
            var up = await PingAsync(database, ct);
            var body = new HealthResponse(up ? "ok" : "degraded", up ? "connected" : "disconnected",
                Timestamps.Format(Clock.NowMicros()), Version, database.Engine);
            return TypedResults.Json(body, FleetwatchJsonContext.Default.HealthResponse, statusCode: up ? 200 : 503);
        }).WithTags(ApiTags.DeviceStatus, ApiTags.Platform).WithSummary("Check the server's health")
        .WithDescription("\"ok\" with the database connected, or \"degraded\" with 503 when it does not answer. No key.")
        .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        routes.MapGet("/health/db", async (IDatabase database, CancellationToken ct) =>
        {
            var up = await PingAsync(database, ct);
            return TypedResults.Json(new DbHealthResponse(up ? "ok" : "unavailable"), FleetwatchJsonContext.Default.DbHealthResponse, statusCode: up ? 200 : 503);
        }).WithTags(ApiTags.Platform).WithSummary("Check the database").WithDescription("{\"db\":\"ok\"}, or \"unavailable\" with 503. No key.")
        .Produces<DbHealthResponse>().Produces<DbHealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    /// <summary>A group of health probes: one that finds the database down answers 503 with Retry-After, as every route does then.</summary>
    public static RouteGroupBuilder MapHealthGroup(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable }) context.HttpContext.Response.Headers.RetryAfter = "1";
            return result;
        });

    /// <summary>Whether the database answers within 3 seconds.</summary>
    public static async Task<bool> PingAsync(IDatabase database, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        return await database.PingAsync(timeout.Token);
    }
}
