using System.ComponentModel;

namespace Fleetwatch.Auth;

public sealed class AuthOptions
{
    [Description("How long a verified key (or a miss) is trusted before the database is asked again.")]
    public int CacheSeconds { get; set; } = 5;

    [Description("The original platform's open bootstrap: creating orgs, projects and keys needs no key at all. Only for trusted networks; the start-up log warns while it is on.")]
    public bool OpenBootstrap { get; set; }

    [Description("The telemetry backend's reads (devices, latest, history, aggregates of the default project) need no key, as in the original (docs/compatibility.md). False requires a read key there too.")]
    public bool AnonymousBackendReads { get; set; } = true;
}
