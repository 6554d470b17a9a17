namespace Fleetwatch.Auth;

/// <summary>
/// The single-tenant APIs (device-status, fleet, telemetry-backend) act on the caller's project; a server
/// administrator key, or no key where allowed, acts on the default project made at first start.
/// </summary>
public sealed class Tenancy
{
    public long DefaultProjectId { get; set; }

    public long ProjectOf(Caller caller) => caller.ProjectId ?? DefaultProjectId;
}
