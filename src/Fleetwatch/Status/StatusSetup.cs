using Fleetwatch.Devices;
using Fleetwatch.Model;

namespace Fleetwatch.Status;

public static class StatusSetup
{
    /// <summary>Every device's latest status in memory, and the at-risk rule.</summary>
    public static WebApplicationBuilder AddStatus(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StatusOptions>().BindConfiguration("Status").ValidateOnStart();
        builder.Services.AddSingleton<LatestStatusCache>();
        builder.Services.AddSingleton<StatusCounts>();
        return builder;
    }

    /// <summary>Finds every device's latest status in the store (after the devices are loaded), and again after a lost notification connection.</summary>
    public static async Task LoadLatestStatusesAsync(this WebApplication app, CancellationToken ct)
    {
        var services = app.Services;
        var latest = services.GetRequiredService<LatestStatusCache>();
        var store = services.GetRequiredService<IStatusStore>();
        var devices = services.GetRequiredService<DeviceRegistry>();
        var metrics = services.GetRequiredService<MetricDictionary>();
        await latest.LoadAsync(store, devices, metrics, ct);
        // The registry reloads itself on a resync; the latest statuses follow (loading only moves them forward).
        services.GetRequiredService<ChangeBus>().Subscribe(ChangeBus.ResyncTopic, (_, token) => latest.LoadAsync(store, devices, metrics, token));
    }
}
