using Fleetwatch.Ingest;
using Prometheus;

namespace Fleetwatch.Metrics;

/// <summary>Marks an ingest endpoint, so its refusals are counted by reason.</summary>
public sealed class IngestEndpoint
{
    public static readonly IngestEndpoint Instance = new();
}

public static class MetricsSetup
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FleetMetrics>();
        return builder;
    }

    /// <summary>HTTP durations by route, ingest refusals by reason, and <c>GET /metrics</c> (no key: keep it on a private network).</summary>
    public static WebApplication UseMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<FleetMetrics>();
        app.Services.GetRequiredService<IngestWriter>().CommitObserved = metrics.ObserveCommit;
        app.UseHttpMetrics(options => options.SetMetricFactory(Prometheus.Metrics.WithCustomRegistry(metrics.Registry)));
        app.Use(async (context, next) =>
        {
            var ingest = context.GetEndpoint()?.Metadata.GetMetadata<IngestEndpoint>() is not null;
            try
            {
                await next(context);
            }
            catch (Exception e) when (ingest)
            {
                // Back-pressure and database failures leave as exceptions, turned into 503 by the error handler outside.
                metrics.Reject(e is IngestBackpressureException or StorageUnavailableException ? "busy" : "error");
                throw;
            }
            if (ingest && context.Response.StatusCode >= 400) metrics.Reject(ReasonOf(context.Response.StatusCode));
        });
        app.MapMetrics("/metrics", metrics.Registry);
        return app;
    }

    private static string ReasonOf(int status) => status switch
    {
        401 or 403 => "auth",
        404 => "unknown_device",
        409 => "inactive_device",
        413 => "too_large",
        429 => "rate_limited",
        503 => "busy",
        >= 500 => "error",
        _ => "invalid",
    };

    public static TBuilder CountsAsIngest<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(IngestEndpoint.Instance);
}
