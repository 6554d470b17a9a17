namespace Fleetwatch.Streams;

public static class StreamsSetup
{
    /// <summary>The fan-out of committed events to live subscribers.</summary>
    public static WebApplicationBuilder AddStreams(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<StreamHub>();
        return builder;
    }
}
