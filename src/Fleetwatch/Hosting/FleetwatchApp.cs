using Fleetwatch.Auth;
using Fleetwatch.Backend;
using Fleetwatch.Connectivity;
using Fleetwatch.Dashboard;
using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Fleetwatch.Http;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Model;
using Fleetwatch.Mqtt;
using Fleetwatch.Platform;
using Fleetwatch.Retention;
using Fleetwatch.Rules;
using Fleetwatch.Status;
using Fleetwatch.Storage;
using Fleetwatch.Streams;
using Fleetwatch.Telemetry;
using Fleetwatch.Transfer;
using Fleetwatch.Webhooks;

namespace Fleetwatch.Hosting;

/// <summary>The server: composition only. Each feature registers its services and maps its endpoints.</summary>
public static partial class FleetwatchApp
{
    public const string DefaultUrl = "http://127.0.0.1:8000";

    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct = default)
    {
        // No watching of appsettings files for changes: the default database lives in the working directory (the
        // content root), so the watcher would wake on every commit's WAL write — measured at ~6% of the server's CPU
        // under ingest load. Settings are read at start; `--hostBuilder:reloadConfigOnChange true` restores watching.
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
        builder.Configuration.AddEnvironmentVariables("FLEETWATCH_");
        if (builder.Configuration["urls"] is null && builder.Configuration["http_ports"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
            builder.WebHost.UseUrls(DefaultUrl);
        // Before any feature opens or creates anything: the addresses are free, and the database is understood.
        if (!builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
            ListenCheck.EnsureFree(builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey), builder.Configuration);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, FleetwatchJsonContext.Default);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddOperations();
        builder.AddStorage();
        builder.AddAuth();
        builder.AddDevices();
        builder.AddIngest();
        builder.AddStatus();
        builder.AddFleet();
        builder.AddReadings();
        builder.AddRules();
        builder.AddConnectivity();
        builder.AddRetention();
        builder.AddMqtt();
        builder.AddWebhooks();
        builder.AddStreams();
        builder.AddMetrics();
        builder.AddRateLimits();
        builder.AddApiDocs();
        builder.Services.AddCommitObservers();

        var app = builder.Build();
        foreach (var (file, key, nearest) in SettingsReference.UnknownKeys(builder.Configuration)) Log.UnknownSetting(app.Logger, file, key, nearest ?? "none");
        // Each feature loads what it serves from memory, in dependency order, before the server takes a request.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await app.InitializeStorageAsync(ct);
        var storage = clock.ElapsedMilliseconds;
        await app.LoadDevicesAsync(ct);
        var devices = clock.ElapsedMilliseconds;
        // Independent of each other once the devices are known: read side by side, on two connections.
        long statuses = 0;
        await Task.WhenAll(
            Task.Run(async () =>
            {
                await app.LoadLatestStatusesAsync(ct);
                statuses = clock.ElapsedMilliseconds;
            }, ct),
            Task.Run(() => app.InitializeFleetAsync(ct), ct),
            Task.Run(() => app.LoadConnectivityAsync(ct), ct));
        Log.Loaded(app.Logger, storage, devices - storage, statuses - devices, clock.ElapsedMilliseconds - devices);

        app.UseFleetwatchErrors();
        app.UseOperations();
        app.UseMetrics();
        app.UseRateLimiter();
        app.UseAuth();
        app.MapHealth();
        app.MapApiDocs();
        app.MapBenchEndpoints();
        app.MapAuth();
        app.MapStatus();
        app.MapFleet();
        app.MapPlatform();
        app.MapExport();
        app.MapRetention();
        app.MapImport();
        app.MapBackend();
        app.MapDashboard();
        app.MapMqtt();
        return app;
    }

    /// <summary>
    /// What runs after each commit, in this order, on the writer's observer loop (and for other nodes' batches, the event
    /// feed's): the device registry first, since every later observer looks new devices up; then the state the APIs answer
    /// from (last seen, latest statuses, fleet uptime, connectivity) and the metrics — all before the batch's requests are answered —
    /// and last what hands work on (rollups, rule evaluation, live streams), so a subscriber or a rule never sees an event
    /// before the state that describes it.
    /// </summary>
    private static void AddCommitObservers(this IServiceCollection services)
    {
        services.AddCommitObserver<DeviceRegistry>();
        services.AddCommitObserver<DeviceActivity>();
        services.AddCommitObserver<LatestStatusCache>();
        services.AddCommitObserver<StatusCounts>();
        services.AddCommitObserver<FleetState>();
        services.AddCommitObserver<ConnectivityTracker>();
        services.AddCommitObserver<FleetMetrics>();
        services.AddCommitObserver<RollupMaintainer>();
        services.AddCommitObserver<RuleEvaluator>();
        services.AddCommitObserver<StreamHub>();
    }

    private static void AddCommitObserver<T>(this IServiceCollection services) where T : class, ICommitObserver =>
        services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<T>());

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.StartupLoaded, Level = LogLevel.Information,
            Message = "Loaded at start in {StorageMs} ms (migrations, metric names), {DevicesMs} ms (devices), then {StatusesMs} ms (latest statuses) beside {BothMs} ms (with fleet uptime)")]
        public static partial void Loaded(ILogger logger, long storageMs, long devicesMs, long statusesMs, long bothMs);

        [LoggerMessage(EventId = LogEvents.UnknownSetting, Level = LogLevel.Warning,
            Message = "{File}: {Key} is not a setting Fleetwatch reads, so it is ignored (nearest: {Nearest}; every setting: fleetwatch config --list)")]
        public static partial void UnknownSetting(ILogger logger, string file, string key, string nearest);
    }
}
