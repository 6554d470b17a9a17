namespace Fleetwatch.Tenants;

public sealed record OrgRecord(long Id, string Name, long CreatedMicros);

public sealed record ProjectRecord(long Id, long OrgId, string Name, long CreatedMicros);

/// <summary>Orgs and projects: the top of org → project → device.</summary>
public interface ITenantStore
{
    /// <summary>Null when an org of that name exists.</summary>
    Task<OrgRecord?> CreateOrgAsync(string name, CancellationToken ct);
    Task<OrgRecord?> GetOrgAsync(long orgId, CancellationToken ct);
    Task<IReadOnlyList<OrgRecord>> ListOrgsAsync(CancellationToken ct);

    /// <summary>Null when the org has a project of that name.</summary>
    Task<ProjectRecord?> CreateProjectAsync(long orgId, string name, CancellationToken ct);
    Task<ProjectRecord?> GetProjectAsync(long projectId, CancellationToken ct);
    Task<IReadOnlyList<ProjectRecord>> ListProjectsAsync(long orgId, CancellationToken ct);
}
