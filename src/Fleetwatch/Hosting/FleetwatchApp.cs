using Fleetwatch.Auth;
using Fleetwatch.Dashboard;
using Fleetwatch.Devices;
using Fleetwatch.Fleet;
using Fleetwatch.Ingest;
using Fleetwatch.Metrics;
using Fleetwatch.Status;
using Fleetwatch.Rules;
using Fleetwatch.Storage;
using Fleetwatch.Streams;
using Fleetwatch.Telemetry;
using Fleetwatch.Webhooks;
using Fleetwatch.Backend;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Platform;

namespace Fleetwatch.Hosting;

/// <summary>The server: composition only. Each feature registers its services and maps its endpoints.</summary>
public static class FleetwatchApp
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

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, FleetwatchJsonContext.Default);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddStorage();
        builder.AddAuth();
        builder.AddIngest();
        builder.AddStatus();
        builder.AddFleet();
        builder.AddRateLimits();
        builder.AddOperations();
        builder.AddMetrics();
        builder.AddApiDocs();
        builder.Services.AddSingleton<ReadingAggregator>();
        builder.Services.AddOptions<RollupOptions>().BindConfiguration("Rollups").Validate(o => o.IntervalMs > 0, "Rollups:IntervalMs must be positive").ValidateOnStart();
        builder.Services.AddSingleton<RollupMaintainer>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<RollupMaintainer>());
        builder.Services.AddHostedService(s => s.GetRequiredService<RollupMaintainer>());
        builder.Services.AddSingleton<RuleBook>();
        builder.Services.AddSingleton<RuleEvaluator>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<RuleEvaluator>());
        builder.Services.AddHostedService(s => s.GetRequiredService<RuleEvaluator>());
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration("Webhooks");
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(s => s.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddSingleton<StreamHub>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<StreamHub>());

        var app = builder.Build();
        await app.InitializeStorageAsync(ct);
        await app.InitializeFleetAsync(ct);
        app.UseFleetwatchErrors();
        app.UseOperations();
        app.UseMetrics();
        app.UseRateLimiter();
        // One way in: the key becomes a caller (authorization runs the API-key scheme for endpoints with a policy),
        // then every resource the route names is resolved to the caller's project before any handler runs.
        app.UseAuthorization();
        app.UseMiddleware<ScopeMiddleware>();
        app.MapStreams();
        app.MapApiDocs();
        app.MapHealth();
        app.MapBenchEndpoints();
        app.MapStatus();
        app.MapFleet();
        app.MapTenants();
        app.MapDevices();
        app.MapFleetOverview();
        app.MapTelemetry();
        app.MapBackendDevices();
        app.MapIngest();
        app.MapReadings();
        app.MapRules();
        app.MapAlerts();
        app.MapWebhooks();
        app.MapDashboard();
        return app;
    }

    private static void AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Auth").ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyAuthenticator>();
        builder.Services.AddSingleton<KeyUsageRecorder>();
        builder.Services.AddHostedService(s => s.GetRequiredService<KeyUsageRecorder>());
        builder.Services.AddSingleton<Tenancy>();
        builder.Services.AddAccessPolicies();
        builder.Services.AddSingleton<IScopeResolver, ProjectResolver>();
        builder.Services.AddSingleton<IScopeResolver, ApiKeyResolver>();
        builder.Services.AddSingleton<IScopeResolver, DeviceIdResolver>();
        builder.Services.AddSingleton<IScopeResolver, ExternalDeviceIdResolver>();
        builder.Services.AddSingleton<IScopeResolver, RuleResolver>();
        builder.Services.AddSingleton<IScopeResolver, AlertResolver>();
        builder.Services.AddSingleton<IScopeResolver, WebhookResolver>();
        builder.Services.AddSingleton<IScopeResolver, DeliveryResolver>();
    }

    private static void AddIngest(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().BindConfiguration("Ingest").ValidateOnStart();
        builder.Services.AddSingleton<DeviceRegistry>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<DeviceRegistry>());
        builder.Services.AddSingleton<DeviceActivity>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<DeviceActivity>());
        builder.Services.AddHostedService(s => s.GetRequiredService<DeviceActivity>());
        builder.Services.AddSingleton<IngestWriter>();
        builder.Services.AddHostedService(s => s.GetRequiredService<IngestWriter>());
    }

    private static void AddStatus(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StatusOptions>().BindConfiguration("Status").ValidateOnStart();
        builder.Services.AddSingleton<LatestStatusCache>();
        builder.Services.AddSingleton<ICommitObserver>(s => s.GetRequiredService<LatestStatusCache>());
    }
}
