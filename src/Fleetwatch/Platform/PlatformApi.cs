using Fleetwatch.Connectivity;

namespace Fleetwatch.Platform;

/// <summary>The telemetry platform API (CONTRACTS.md §3), and Fleetwatch's own routes that keep its conventions.</summary>
public static class PlatformApi
{
    public static WebApplication MapPlatform(this WebApplication app)
    {
        app.MapTenants();
        app.MapDevices();
        app.MapTelemetry();
        app.MapRules();
        app.MapAlerts();
        app.MapWebhooks();
        app.MapFleetOverview();
        app.MapConnectivity();
        return app;
    }
}
