using Fleetwatch.Auth;
using Fleetwatch.Devices;
using Fleetwatch.Ingest;
using Fleetwatch.Model;
using Fleetwatch.Status;
using Fleetwatch.Storage.Postgres;
using Fleetwatch.Telemetry;
using Fleetwatch.Tenants;

namespace Fleetwatch.Storage;

public static partial class StorageSetup
{
    /// <summary>One store per engine, registered once and exposed through each feature's narrow interface.</summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        var target = DatabaseTarget.From(builder.Configuration);
        builder.Services.AddSingleton(target);
        builder.Services.AddSingleton(_ => target.Open());
        builder.Services.AddSingleton(s => (IApiKeyStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (IDeviceStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (IStatusStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (IEventBatchStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (ITenantStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (ITelemetryStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton(s => (IRollupStore)s.GetRequiredService<IDatabase>());
        builder.Services.AddSingleton<Rules.IRuleStore>(s =>
        {
            var database = s.GetRequiredService<IDatabase>();
            return new PortableRuleStore(database.OpenConnectionAsync, database.Engine == "postgresql");
        });
        builder.Services.AddSingleton<Webhooks.IWebhookStore>(s =>
        {
            var database = s.GetRequiredService<IDatabase>();
            return new PortableWebhookStore(database.OpenConnectionAsync, database.Engine == "postgresql");
        });
        builder.Services.AddSingleton<MetricDictionary>();
        builder.Services.AddSingleton<ChangeBus>();
        if (target.IsPostgres)
        {
            builder.Services.AddSingleton(s => (PostgresStore)s.GetRequiredService<IDatabase>());
            builder.Services.AddSingleton<IChangeTransport>(s => s.GetRequiredService<PostgresStore>());
            builder.Services.AddHostedService<PostgresEventFeed>();
        }
        return builder;
    }

    /// <summary>
    /// Migrates, bootstraps on first start (printing the administrator key once, to the console, never to
    /// the log), and loads the metric names. Runs before the server accepts a request; each feature loads its own state after.
    /// </summary>
    public static async Task InitializeStorageAsync(this WebApplication app, CancellationToken ct = default)
    {
        var services = app.Services;
        var target = services.GetRequiredService<DatabaseTarget>();
        var database = services.GetRequiredService<IDatabase>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Storage");
        Log.Opening(logger, target.Describe());

        var candidate = ApiKeys.Generate(null, KeyRole.Admin, "bootstrap");
        var outcome = await database.MigrateAsync(candidate, ct);
        services.GetRequiredService<Tenancy>().DefaultProjectId = outcome.DefaultProjectId;
        if (outcome.CreatedBootstrapKey) PrintBootstrapKey(candidate.Plaintext);

        await database.LoadMetricsAsync(services.GetRequiredService<MetricDictionary>(), ct);
    }

    /// <summary>For the CLI commands: opens the database named by --db or FLEETWATCH_DB and migrates it, as a first start would.</summary>
    public static async Task<(IDatabase Database, BootstrapOutcome Outcome)> OpenForCommandAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables("FLEETWATCH_").Build();
        var database = DatabaseTarget.Parse(Hosting.Cli.Option(args, "--db") ?? configuration["db"]).Open();
        var bootstrap = ApiKeys.Generate(null, KeyRole.Admin, "bootstrap");
        var outcome = await database.MigrateAsync(bootstrap, CancellationToken.None);
        if (outcome.CreatedBootstrapKey) PrintBootstrapKey(bootstrap.Plaintext);
        return (database, outcome);
    }

    public static void PrintBootstrapKey(string key)
    {
        Console.WriteLine();
        Console.WriteLine("  Fleetwatch created the default org and project on this first start.");
        Console.WriteLine("  Server administrator API key (shown once; keep it, it is stored only as a hash):");
        Console.WriteLine();
        Console.WriteLine($"      {key}");
        Console.WriteLine();
        Console.WriteLine("  Send it as the X-API-Key header. Make more keys with: fleetwatch keys create --role read|ingest|admin");
        Console.WriteLine();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.StorageOpening, Level = LogLevel.Information, Message = "Storage: {Target}")]
        public static partial void Opening(ILogger logger, string target);
    }
}
