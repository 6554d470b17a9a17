namespace Fleetwatch.Auth;

public sealed class AuthOptions
{
    /// <summary>How long a verified key (or a miss) is trusted before the database is asked again.</summary>
    public int CacheSeconds { get; set; } = 5;

    /// <summary>
    /// The original platform's open bootstrap: creating orgs, projects and keys needs no key at all. Only for
    /// trusted networks; the start-up log warns while it is on.
    /// </summary>
    public bool OpenBootstrap { get; set; }

    /// <summary>
    /// The telemetry backend's reads (devices, latest, history, aggregates of the default project) need no key,
    /// as in the original (CONTRACTS.md §4). False requires a read key there too.
    /// </summary>
    public bool AnonymousBackendReads { get; set; } = true;
}
