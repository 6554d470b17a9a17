namespace Fleetwatch.Auth;

/// <summary>What an endpoint needs of its caller's key; each is an authorization policy of the same name.</summary>
public enum Access
{
    /// <summary>Any valid key (or the endpoint's anonymous caller).</summary>
    Any,
    Read,
    Write,
    /// <summary>An admin key: of the project the route names, or a server administrator's.</summary>
    Admin,
    /// <summary>The bootstrap key or <c>API_KEY</c>: creates orgs and projects.</summary>
    ServerAdmin,
    /// <summary>Follows a live stream: a key that may read, or a device's own key.</summary>
    Listen,
}

public static class AccessRules
{
    public static bool Allows(this Caller caller, Access access) => access switch
    {
        Access.Read => caller.CanRead,
        Access.Write => caller.CanWrite,
        Access.Admin => caller.Role == KeyRole.Admin,
        Access.ServerAdmin => caller.IsServerAdmin,
        Access.Listen => caller.CanRead || caller.DeviceId is not null,
        _ => true,
    };

    public static string PolicyName(Access access) => "access:" + access;
}
