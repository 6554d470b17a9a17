namespace Fleetwatch.Ingest;

public static class IngestSetup
{
    /// <summary>The one writer per node that group-commits every API's events.</summary>
    public static WebApplicationBuilder AddIngest(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().BindConfiguration("Ingest").ValidateOnStart();
        builder.Services.AddSingleton<IngestWriter>();
        builder.Services.AddHostedService(s => s.GetRequiredService<IngestWriter>());
        return builder;
    }
}
