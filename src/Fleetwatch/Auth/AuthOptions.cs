namespace Fleetwatch.Auth;

public sealed class AuthOptions
{
    /// <summary>How long a verified key (or a miss) is trusted before the database is asked again.</summary>
    public int CacheSeconds { get; set; } = 5;
}
