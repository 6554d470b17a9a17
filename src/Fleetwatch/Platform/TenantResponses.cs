using Fleetwatch.Auth;
using Fleetwatch.Http;
using Fleetwatch.Tenants;

namespace Fleetwatch.Platform;

/// <summary>Request bodies, for the API document.</summary>
public sealed record NameBody(string Name);

/// <param name="Role">read, ingest or admin (the default).</param>
public sealed record KeyBody(string? Role, string? Name);

public sealed record OrgResponse(long Id, string Name, string CreatedAt)
{
    public static OrgResponse From(OrgRecord org) => new(org.Id, org.Name, Timestamps.Format(org.CreatedMicros));
}

public sealed record ProjectResponse(long Id, long OrgId, string Name, string CreatedAt)
{
    public static ProjectResponse From(ProjectRecord project) => new(project.Id, project.OrgId, project.Name, Timestamps.Format(project.CreatedMicros));
}

/// <summary>The only time the plaintext key is ever shown.</summary>
public sealed record CreatedKeyResponse(string ApiKey, string Prefix, long ProjectId, string Role, string? Name, string CreatedAt);

/// <summary>A key as listed: never the secret nor its hash.</summary>
public sealed record KeyResponse(string Prefix, long? ProjectId, string Role, string? Name, string CreatedAt, string? LastUsedAt, string? RevokedAt)
{
    public static KeyResponse From(ApiKeyRecord key, long? lastUsedMicros) => new(key.Prefix, key.ProjectId, ApiKeys.RoleName(key.Role), key.Name,
        Timestamps.Format(key.CreatedMicros), lastUsedMicros is { } used ? Timestamps.Format(used) : null,
        key.RevokedMicros is { } revoked ? Timestamps.Format(revoked) : null);
}
