namespace Fleetwatch.Auth;

/// <summary>Who made a request. A null project is a server administrator (the bootstrap key or <c>API_KEY</c>).</summary>
/// <param name="DeviceId">Set for a device's own key: it writes that device's data and nothing else.</param>
public sealed record Caller(long? ProjectId, KeyRole Role, string KeyPrefix, long? DeviceId = null)
{
    public const string OtherDeviceDetail = "This device key may write only its own device's data";

    /// <summary>Whether this caller may write events of the device (0: a device not created yet).</summary>
    public bool MayWriteTo(long deviceId) => CanWrite && (DeviceId is null || DeviceId == deviceId);

    public bool CanRead => Role is KeyRole.Read or KeyRole.Admin;

    public bool CanWrite => Role is KeyRole.Ingest or KeyRole.Admin;

    /// <summary>The bootstrap key, <c>API_KEY</c>, or anyone when the open bootstrap is on: may create orgs and projects.</summary>
    public bool IsServerAdmin => ProjectId is null && Role == KeyRole.Admin;

    /// <summary>May manage the project (its devices and keys): a server administrator or an admin key of the project.</summary>
    public bool CanAdminister(long projectId) => Role == KeyRole.Admin && CanSee(projectId);

    /// <summary>Whether the project's resources exist for this caller at all; when not, they answer 404 (lists, []).</summary>
    public bool CanSee(long projectId) => ProjectId is null || ProjectId == projectId;
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
