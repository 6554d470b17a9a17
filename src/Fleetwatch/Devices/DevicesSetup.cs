using Fleetwatch.Auth;

namespace Fleetwatch.Devices;

public static partial class DevicesSetup
{
    /// <summary>The in-memory registry of every project's devices, their last-seen times, and the scope step's device resolvers.</summary>
    public static WebApplicationBuilder AddDevices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeviceRegistry>();
        builder.Services.AddSingleton<DeviceActivity>();
        builder.Services.AddHostedService(s => s.GetRequiredService<DeviceActivity>());
        builder.Services.AddSingleton<IScopeResolver, DeviceIdResolver>();
        builder.Services.AddSingleton<IScopeResolver, ExternalDeviceIdResolver>();
        // PostgreSQL tells every node itself (a notification); SQLite is watched.
        if (!Storage.DatabaseTarget.From(builder.Configuration).IsPostgres) builder.Services.AddHostedService<DevicesWatcher>();
        return builder;
    }

    /// <summary>Loads every device before the server takes a request: handlers resolve devices from memory.</summary>
    public static async Task LoadDevicesAsync(this WebApplication app, CancellationToken ct)
    {
        var devices = app.Services.GetRequiredService<DeviceRegistry>();
        await devices.LoadAsync(ct);
        Log.Loaded(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Devices"), devices.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.DevicesLoaded, Level = LogLevel.Information, Message = "Loaded {Devices} devices into memory")]
        public static partial void Loaded(ILogger logger, int devices);
    }
}
