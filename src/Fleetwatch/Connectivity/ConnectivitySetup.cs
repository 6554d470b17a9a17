using Fleetwatch.Model;
using Fleetwatch.Storage;
using Fleetwatch.Storage.Postgres;

namespace Fleetwatch.Connectivity;

public static class ConnectivitySetup
{
    /// <summary>The tracker (a commit observer and the loop that records transitions), and which node records them.</summary>
    public static WebApplicationBuilder AddConnectivity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectivityOptions>().BindConfiguration("Connectivity")
            .Validate(o => o.DefaultTimeoutSeconds is >= 1 and <= ConnectivityApi.MaxTimeoutSeconds, $"Connectivity:DefaultTimeoutSeconds must be 1 to {ConnectivityApi.MaxTimeoutSeconds}")
            .Validate(o => o.CheckIntervalMs is >= 10 and <= 60_000, "Connectivity:CheckIntervalMs must be 10 to 60000")
            .ValidateOnStart();
        builder.Services.AddSingleton(s => (IConnectivityStore)s.GetRequiredService<IDatabase>());
        if (DatabaseTarget.From(builder.Configuration).IsPostgres)
        {
            builder.Services.AddSingleton<PostgresLeadership>();
            builder.Services.AddSingleton<ILeadership>(s => s.GetRequiredService<PostgresLeadership>());
            builder.Services.AddHostedService(s => s.GetRequiredService<PostgresLeadership>());
        }
        else
        {
            builder.Services.AddSingleton<ILeadership, SoleNode>();
        }
        builder.Services.AddSingleton<InactivityAlerts>();
        builder.Services.AddSingleton<ConnectivityTracker>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ConnectivityTracker>());
        return builder;
    }

    /// <summary>Each device's recorded state and last-seen time, after the devices are loaded.</summary>
    public static Task LoadConnectivityAsync(this WebApplication app, CancellationToken ct) =>
        app.Services.GetRequiredService<ConnectivityTracker>().LoadAsync(app.Services.GetRequiredService<MetricDictionary>(), ct);
}
