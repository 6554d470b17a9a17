using Fleetwatch.Model;
using Fleetwatch.Tenants;
using Npgsql;

namespace Fleetwatch.Storage.Postgres;

public sealed partial class PostgresStore : ITenantStore
{
    public Task<OrgRecord?> CreateOrgAsync(string name, CancellationToken ct) => FirstOrgAsync(
        "INSERT INTO orgs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at", ct, name, Clock.NowMicros());

    public Task<OrgRecord?> GetOrgAsync(long orgId, CancellationToken ct) => FirstOrgAsync("SELECT id, name, created_at FROM orgs WHERE id = $1", ct, orgId);

    public async Task<IReadOnlyList<OrgRecord>> ListOrgsAsync(CancellationToken ct) => await ReadOrgsAsync("SELECT id, name, created_at FROM orgs ORDER BY id", ct);

    public async Task<ProjectRecord?> CreateProjectAsync(long orgId, string name, CancellationToken ct) => (await ReadProjectsAsync("""
        INSERT INTO projects (org_id, name, created_at) VALUES ($1, $2, $3)
        ON CONFLICT (org_id, name) DO NOTHING RETURNING id, org_id, name, created_at
        """, ct, orgId, name, Clock.NowMicros())).FirstOrDefault();

    public async Task<ProjectRecord?> GetProjectAsync(long projectId, CancellationToken ct) =>
        (await ReadProjectsAsync("SELECT id, org_id, name, created_at FROM projects WHERE id = $1", ct, projectId)).FirstOrDefault();

    public async Task<IReadOnlyList<ProjectRecord>> ListProjectsAsync(long orgId, CancellationToken ct) =>
        await ReadProjectsAsync("SELECT id, org_id, name, created_at FROM projects WHERE org_id = $1 ORDER BY id", ct, orgId);

    private async Task<OrgRecord?> FirstOrgAsync(string sql, CancellationToken ct, params object[] parameters) =>
        (await ReadOrgsAsync(sql, ct, parameters)).FirstOrDefault();

    private async Task<List<OrgRecord>> ReadOrgsAsync(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var orgs = new List<OrgRecord>();
        while (await reader.ReadAsync(ct)) orgs.Add(new OrgRecord(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        return orgs;
    }

    private async Task<List<ProjectRecord>> ReadProjectsAsync(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var projects = new List<ProjectRecord>();
        while (await reader.ReadAsync(ct)) projects.Add(new ProjectRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3)));
        return projects;
    }
}
