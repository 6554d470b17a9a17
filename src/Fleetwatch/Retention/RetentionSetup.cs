using Fleetwatch.Storage;

namespace Fleetwatch.Retention;

public static class RetentionSetup
{
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration("Retention")
            .Validate(o => o.RawDays is null or >= 1 and <= RetentionApi.MaxDays, $"Retention:RawDays must be 1 to {RetentionApi.MaxDays}, or empty for forever")
            .Validate(o => o.RollupDays is null or >= 1 and <= RetentionApi.MaxDays, $"Retention:RollupDays must be 1 to {RetentionApi.MaxDays}, or empty for forever")
            .Validate(o => o.RollupDays is null || o.RawDays is not null && o.RawDays <= o.RollupDays, "Retention:RollupDays must be at least Retention:RawDays")
            .Validate(o => o.IntervalMs is >= 100 and <= 86_400_000, "Retention:IntervalMs must be 100 to 86400000")
            .Validate(o => o.BatchRows is >= 1 and <= 100_000, "Retention:BatchRows must be 1 to 100000")
            .ValidateOnStart();
        builder.Services.AddSingleton<IRetentionStore>(s =>
        {
            var database = s.GetRequiredService<IDatabase>();
            var portable = new PortableRetentionStore(database.OpenConnectionAsync, database.Engine == "postgresql");
            // SQLite has one writer: its deletes take turns with the ingest batches instead of fighting them for the lock.
            return database is Storage.Sqlite.SqliteStore sqlite ? new WriterTurnRetentionStore(portable, sqlite, s.GetRequiredService<Ingest.IngestWriter>()) : portable;
        });
        if (DatabaseTarget.From(builder.Configuration).IsPostgres) builder.Services.AddSingleton<IEventPartitions, Storage.Postgres.PostgresPartitions>();
        else builder.Services.AddSingleton<IEventPartitions, NoPartitions>();
        builder.Services.AddSingleton<RetentionService>();
        builder.Services.AddHostedService(s => s.GetRequiredService<RetentionService>());
        return builder;
    }
}
