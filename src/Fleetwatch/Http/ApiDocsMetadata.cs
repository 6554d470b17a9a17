namespace Fleetwatch.Http;

/// <summary>The API document's groups: one per contract, and Fleetwatch's own.</summary>
public static class ApiTags
{
    public const string DeviceStatus = "Device status", Fleet = "Fleet", Platform = "Platform", Backend = "Telemetry backend", Fleetwatch = "Fleetwatch";
}

/// <summary>An example request body for the API document (the ingest bodies, which are parsed by hand and have no type to describe them fully).</summary>
public sealed record RequestExample(string Json);

public static class ApiDocsMetadata
{
    public static TBuilder WithRequestExample<TBuilder>(this TBuilder builder, string json) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestExample(json));
}
