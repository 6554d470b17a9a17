using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Model;
using Fleetwatch.Storage;

namespace Fleetwatch.Fleet;

public static partial class FleetSetup
{
    public static WebApplicationBuilder AddFleet(this WebApplicationBuilder builder)
    {
        var devicesFile = builder.Configuration["devices"];
        builder.Services.AddOptions<FleetOptions>().BindConfiguration("Fleet")
            .PostConfigure(o => o.AnonymousAccess |= !string.IsNullOrEmpty(devicesFile)).ValidateOnStart();
        builder.Services.AddSingleton(s => (IFleetStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton<FleetState>();
        return builder;
    }

    /// <summary>Imports the <c>--devices</c> file into the default project, then rebuilds uptime and upload state from the store.</summary>
    public static async Task InitializeFleetAsync(this WebApplication app, CancellationToken ct = default)
    {
        var services = app.Services;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Fleet");
        if (app.Configuration["devices"] is { Length: > 0 } path)
        {
            var imported = await ImportAsync(path, services.GetRequiredService<Tenancy>().DefaultProjectId,
                services.GetRequiredService<IDeviceStore>(), services.GetRequiredService<DeviceRegistry>(), ct);
            Log.Imported(logger, imported, path);
        }
        await services.GetRequiredService<IFleetStore>().LoadFleetStateAsync(
            services.GetRequiredService<FleetState>(), services.GetRequiredService<MetricDictionary>(), ct);
        if (services.GetRequiredService<Microsoft.Extensions.Options.IOptions<FleetOptions>>().Value.AnonymousAccess) Log.AnonymousOn(logger);
        else Log.AnonymousOff(logger);
    }

    public static async Task<int> ImportAsync(string path, long projectId, IDeviceStore store, DeviceRegistry? registry, CancellationToken ct)
    {
        var ids = DevicesCsv.Read(path);
        var devices = await store.EnsureDevicesAsync(projectId, ids, ct);
        if (registry is not null)
        {
            foreach (var device in devices) registry.Add(device);
        }
        return devices.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.FleetDevicesImported, Level = LogLevel.Information, Message = "Registered {Count} devices from {Path} in the default project")]
        public static partial void Imported(ILogger logger, int count, string path);

        [LoggerMessage(EventId = LogEvents.FleetAnonymousOn, Level = LogLevel.Warning, Message = "Fleet API: requests WITHOUT an API key are accepted for the default project's devices (a devices file was given, or Fleet:AnonymousAccess is on)")]
        public static partial void AnonymousOn(ILogger logger);

        [LoggerMessage(EventId = LogEvents.FleetAnonymousOff, Level = LogLevel.Information, Message = "Fleet API: an API key is required (start with --devices FILE or set Fleet:AnonymousAccess=true to accept the original simulator's keyless requests)")]
        public static partial void AnonymousOff(ILogger logger);
    }
}
