namespace Fleetwatch.Backend;

/// <summary>The telemetry backend API (CONTRACTS.md §4): devices with their own keys, ingest, readings, live streams, health.</summary>
public static class BackendApi
{
    public static WebApplication MapBackend(this WebApplication app)
    {
        app.MapBackendDevices();
        app.MapIngest();
        app.MapReadings();
        app.MapStreams();
        app.MapBackendHealth();
        return app;
    }
}
