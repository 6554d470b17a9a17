namespace Fleetwatch.Auth;

/// <summary>Who made a request. A null project is a server administrator (the bootstrap key or <c>API_KEY</c>).</summary>
public sealed record Caller(long? ProjectId, KeyRole Role, string KeyPrefix)
{
    public bool CanRead => Role is KeyRole.Read or KeyRole.Admin;

    public bool CanWrite => Role is KeyRole.Ingest or KeyRole.Admin;
}

public enum AuthFailure
{
    None,
    Missing,
    /// <summary>Not of the form prefix.secret.</summary>
    Malformed,
    /// <summary>Unknown, revoked or wrong.</summary>
    Invalid,
}
