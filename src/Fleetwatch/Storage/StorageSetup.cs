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
        if (!target.IsPostgres)
        {
            // Taken before anything is created; held until the server is disposed (the container disposes what a factory made).
            var held = Sqlite.SqliteServerLock.Acquire(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(target.ConnectionString).DataSource);
            builder.Services.AddSingleton(_ => held);
        }
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
        services.GetService<Sqlite.SqliteServerLock>();
        var database = services.GetRequiredService<IDatabase>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Storage");
        Log.Opening(logger, target.Describe());

        var candidate = ApiKeys.Generate(null, KeyRole.Admin, "bootstrap");
        var outcome = await MigrateWhenReachableAsync(database, target, candidate, app.Configuration.GetValue("Storage:ConnectRetrySeconds", 30), logger, ct);
        services.GetRequiredService<Tenancy>().DefaultProjectId = outcome.DefaultProjectId;
        if (outcome.CreatedBootstrapKey) PrintBootstrapKey(candidate.Plaintext);

        await database.LoadMetricsAsync(services.GetRequiredService<MetricDictionary>(), ct);
    }

    /// <summary>
    /// Opens and migrates the database. An unreachable PostgreSQL is tried again with backoff (1, 2, 4, 5, 5 … s), each
    /// attempt logged, for <c>Storage:ConnectRetrySeconds</c> (30): a server started with its database, or restarted
    /// while it restarts, waits for it. What retrying cannot fix — a wrong password, a missing database, a file that is
    /// not SQLite — fails at once; either way it is one line and exit code 3.
    /// </summary>
    private static async Task<BootstrapOutcome> MigrateWhenReachableAsync(IDatabase database, DatabaseTarget target, NewApiKey candidate, int retrySeconds,
        ILogger logger, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await database.MigrateAsync(candidate, ct);
            }
            catch (Npgsql.PostgresException e)
            {
                throw new Hosting.StartupFailure($"{target.Describe()} refused: {e.MessageText} ({e.SqlState}); check --db", Hosting.StartupFailure.CannotStart);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(5, Math.Pow(2, attempt - 1)));
                if (clock.Elapsed + delay > TimeSpan.FromSeconds(retrySeconds))
                    throw new Hosting.StartupFailure($"cannot reach {target.Describe()} after {attempt} attempts in {clock.Elapsed.TotalSeconds:F0} s " +
                        $"({e.InnerException?.Message ?? e.Message}); check --db, or wait longer with --Storage:ConnectRetrySeconds", Hosting.StartupFailure.CannotStart);
                Log.Unreachable(logger, target.Describe(), attempt, delay.TotalSeconds, e.InnerException?.Message ?? e.Message);
                await Task.Delay(delay, ct);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                throw new Hosting.StartupFailure($"cannot open {target.Describe()}: {e.Message}", Hosting.StartupFailure.CannotStart);
            }
        }
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
        [LoggerMessage(EventId = LogEvents.StorageUnreachable, Level = LogLevel.Warning, Message = "Cannot reach {Target} (attempt {Attempt}): {Reason}; trying again in {Seconds} s")]
        public static partial void Unreachable(ILogger logger, string target, int attempt, double seconds, string reason);

        [LoggerMessage(EventId = LogEvents.StorageOpening, Level = LogLevel.Information, Message = "Storage: {Target}")]
        public static partial void Opening(ILogger logger, string target);
    }
}
