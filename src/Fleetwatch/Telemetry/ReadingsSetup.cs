namespace Fleetwatch.Telemetry;

public static class ReadingsSetup
{
    /// <summary>Aggregates over readings, and the hourly rollups kept up to date in the background.</summary>
    public static WebApplicationBuilder AddReadings(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReadingAggregator>();
        builder.Services.AddOptions<RollupOptions>().BindConfiguration("Rollups").Validate(o => o.IntervalMs > 0, "Rollups:IntervalMs must be positive").ValidateOnStart();
        builder.Services.AddSingleton<RollupMaintainer>();
        builder.Services.AddHostedService(s => s.GetRequiredService<RollupMaintainer>());
        return builder;
    }
}
