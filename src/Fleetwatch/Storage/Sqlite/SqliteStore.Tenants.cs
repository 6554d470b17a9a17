using Fleetwatch.Model;
using Fleetwatch.Tenants;
using Microsoft.Data.Sqlite;

namespace Fleetwatch.Storage.Sqlite;

public sealed partial class SqliteStore : ITenantStore
{
    public Task<OrgRecord?> CreateOrgAsync(string name, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "INSERT INTO orgs (name, created_at) VALUES ($n, $t) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at",
            [("$n", name), ("$t", Clock.NowMicros())]);
        return Task.FromResult(ReadOrgs(command).FirstOrDefault());
    }

    public Task<OrgRecord?> GetOrgAsync(long orgId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT id, name, created_at FROM orgs WHERE id = $id", [("$id", orgId)]);
        return Task.FromResult(ReadOrgs(command).FirstOrDefault());
    }

    public Task<IReadOnlyList<OrgRecord>> ListOrgsAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT id, name, created_at FROM orgs ORDER BY id", []);
        return Task.FromResult<IReadOnlyList<OrgRecord>>(ReadOrgs(command));
    }

    public Task<ProjectRecord?> CreateProjectAsync(long orgId, string name, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, """
            INSERT INTO projects (org_id, name, created_at) VALUES ($o, $n, $t)
            ON CONFLICT (org_id, name) DO NOTHING RETURNING id, org_id, name, created_at
            """, [("$o", orgId), ("$n", name), ("$t", Clock.NowMicros())]);
        return Task.FromResult(ReadProjects(command).FirstOrDefault());
    }

    public Task<ProjectRecord?> GetProjectAsync(long projectId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT id, org_id, name, created_at FROM projects WHERE id = $id", [("$id", projectId)]);
        return Task.FromResult(ReadProjects(command).FirstOrDefault());
    }

    public Task<IReadOnlyList<ProjectRecord>> ListProjectsAsync(long orgId, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT id, org_id, name, created_at FROM projects WHERE org_id = $o ORDER BY id", [("$o", orgId)]);
        return Task.FromResult<IReadOnlyList<ProjectRecord>>(ReadProjects(command));
    }

    private static List<OrgRecord> ReadOrgs(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var orgs = new List<OrgRecord>();
        while (reader.Read()) orgs.Add(new OrgRecord(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        return orgs;
    }

    private static List<ProjectRecord> ReadProjects(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var projects = new List<ProjectRecord>();
        while (reader.Read()) projects.Add(new ProjectRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3)));
        return projects;
    }
}
