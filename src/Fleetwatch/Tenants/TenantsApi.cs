using Fleetwatch.Auth;
using Fleetwatch.Hosting;
using Fleetwatch.Storage;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Tenants;

/// <summary>
/// Orgs, projects and their API keys (CONTRACTS.md §3). Creating orgs and projects needs a server
/// administrator; a project's keys are managed by an admin key of that project too. Another project's
/// resources answer 404 and lists answer [], never their data.
/// </summary>
public static partial class TenantsApi
{
    private const int MaxNameLength = 200;

    public static void MapTenants(this WebApplication routes)
    {
        var openBootstrap = routes.Services.GetRequiredService<IOptions<AuthOptions>>().Value.OpenBootstrap;
        if (openBootstrap) Log.OpenBootstrap(routes.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleetwatch.Tenants"));
        var bootstrap = routes.MapGroup("").RequireApiKey(AuthStyle.Platform, keylessIsServerAdmin: openBootstrap);
        bootstrap.MapPost("/orgs", CreateOrg).Accepts<NameBody>("application/json").Produces<OrgResponse>(StatusCodes.Status201Created);
        bootstrap.MapPost("/orgs/{org_id:long}/projects", CreateProject).Accepts<NameBody>("application/json").Produces<ProjectResponse>(StatusCodes.Status201Created);
        bootstrap.MapPost("/projects/{project_id:long}/api-keys", CreateKey).RequireRateLimiting(RateLimits.ApiKeys)
            .Accepts<KeyBody>("application/json").Produces<CreatedKeyResponse>(StatusCodes.Status201Created);

        var group = routes.MapGroup("").RequireApiKey(AuthStyle.Platform);
        group.MapGet("/orgs", ListOrgs).Produces<OrgResponse[]>();
        group.MapGet("/orgs/{org_id:long}/projects", ListProjects).Produces<ProjectResponse[]>();
        group.MapGet("/projects/{project_id:long}", GetProject).Produces<ProjectResponse>();
        group.MapGet("/projects/{project_id:long}/api-keys", ListKeys).Produces<KeyResponse[]>();
        group.MapDelete("/projects/{project_id:long}/api-keys/{prefix}", RevokeKey).Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> CreateOrg(HttpContext http, ITenantStore store)
    {
        if (!http.GetCaller().IsServerAdmin) return Problems.Of(StatusCodes.Status403Forbidden, "Creating an org needs a server administrator key");
        var (name, problem) = await ReadNameAsync(http);
        if (problem is not null) return problem;
        return await store.CreateOrgAsync(name!, http.RequestAborted) is { } org
            ? TypedResults.Created($"/orgs/{org.Id}", OrgResponse.From(org))
            : Problems.Of(StatusCodes.Status409Conflict, $"An org named \"{name}\" already exists");
    }

    private static async Task<IResult> CreateProject(long org_id, HttpContext http, ITenantStore store)
    {
        if (!http.GetCaller().IsServerAdmin) return Problems.Of(StatusCodes.Status403Forbidden, "Creating a project needs a server administrator key");
        if (await store.GetOrgAsync(org_id, http.RequestAborted) is null) return Problems.NotFound("org not found");
        var (name, problem) = await ReadNameAsync(http);
        if (problem is not null) return problem;
        return await store.CreateProjectAsync(org_id, name!, http.RequestAborted) is { } project
            ? TypedResults.Created($"/projects/{project.Id}", ProjectResponse.From(project))
            : Problems.Of(StatusCodes.Status409Conflict, $"The org already has a project named \"{name}\"");
    }

    private static async Task<IResult> CreateKey(long project_id, HttpContext http, ITenantStore tenants, IApiKeyStore keys)
    {
        if (await FindProjectAsync(http, project_id, tenants) is not { } project) return Problems.NotFound("project not found");
        if (!http.GetCaller().CanAdminister(project.Id)) return Problems.Of(StatusCodes.Status403Forbidden, "Creating a key needs an admin key of the project");
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request, allowEmpty: true);
        if (problem is not null) return problem;
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var body = document!.RootElement;
            var roleText = JsonRequest.Text(body, "role", 16, required: false, ref errors);
            var role = KeyRole.Admin;
            if (roleText is not null && !ApiKeys.TryParseRole(roleText, out role)) ValidationErrors.Add(ref errors, "role", "must be read, ingest or admin");
            var name = JsonRequest.Text(body, "name", MaxNameLength, required: false, ref errors);
            if (errors is not null) return Problems.Validation(errors);

            var key = ApiKeys.Generate(project.Id, role, name);
            var stored = await keys.InsertKeyAsync(key, http.RequestAborted);
            return TypedResults.Created($"/projects/{project.Id}/api-keys/{stored.Prefix}", new CreatedKeyResponse(
                key.Plaintext, stored.Prefix, project.Id, ApiKeys.RoleName(role), name, Timestamps.Format(stored.CreatedMicros)));
        }
    }

    private static async Task<IResult> ListOrgs(HttpContext http, ITenantStore store)
    {
        var caller = http.GetCaller();
        if (caller.ProjectId is not { } own) return TypedResults.Ok((await store.ListOrgsAsync(http.RequestAborted)).Select(OrgResponse.From).ToArray());
        var project = await store.GetProjectAsync(own, http.RequestAborted);
        var org = project is null ? null : await store.GetOrgAsync(project.OrgId, http.RequestAborted);
        return TypedResults.Ok(org is null ? Array.Empty<OrgResponse>() : [OrgResponse.From(org)]);
    }

    private static async Task<IResult> ListProjects(long org_id, HttpContext http, ITenantStore store)
    {
        var caller = http.GetCaller();
        var projects = await store.ListProjectsAsync(org_id, http.RequestAborted);
        return TypedResults.Ok(projects.Where(p => caller.CanSee(p.Id)).Select(ProjectResponse.From).ToArray());
    }

    private static async Task<IResult> GetProject(long project_id, HttpContext http, ITenantStore store) =>
        await FindProjectAsync(http, project_id, store) is { } project ? TypedResults.Ok(ProjectResponse.From(project)) : Problems.NotFound("project not found");

    private static async Task<IResult> ListKeys(long project_id, HttpContext http, IApiKeyStore keys, KeyUsageRecorder usage)
    {
        var caller = http.GetCaller();
        if (!caller.CanSee(project_id)) return TypedResults.Ok(Array.Empty<KeyResponse>());
        if (!caller.CanAdminister(project_id)) return Problems.Of(StatusCodes.Status403Forbidden, "Listing keys needs an admin key of the project");
        var listed = await keys.ListKeysAsync(project_id, http.RequestAborted);
        return TypedResults.Ok(listed.Select(k => KeyResponse.From(k, usage.Latest(k.Prefix, k.LastUsedMicros))).ToArray());
    }

    private static async Task<IResult> RevokeKey(long project_id, string prefix, HttpContext http, IApiKeyStore keys, ChangeBus changes)
    {
        var caller = http.GetCaller();
        var key = caller.CanSee(project_id) ? await keys.FindKeyAsync(prefix, http.RequestAborted) : null;
        if (key is null || key.ProjectId != project_id) return Problems.NotFound("API key not found");
        if (!caller.CanAdminister(project_id)) return Problems.Of(StatusCodes.Status403Forbidden, "Revoking a key needs an admin key of the project");
        await keys.RevokeKeyAsync(prefix, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.KeyTopic, prefix, http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>The project, if it exists and the caller may see it; otherwise null, answered as 404 whichever it was.</summary>
    public static async Task<ProjectRecord?> FindProjectAsync(HttpContext http, long projectId, ITenantStore store) =>
        http.GetCaller().CanSee(projectId) ? await store.GetProjectAsync(projectId, http.RequestAborted) : null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message =
            "OPEN BOOTSTRAP IS ON (Auth:OpenBootstrap): anyone who can reach this server can create orgs, projects and API keys without a key. Use it only on a trusted network.")]
        public static partial void OpenBootstrap(ILogger logger);
    }

    private static async Task<(string? Name, ProblemResult? Problem)> ReadNameAsync(HttpContext http)
    {
        var (document, problem) = await JsonRequest.ReadObjectAsync(http.Request);
        if (problem is not null) return (null, problem);
        using (document)
        {
            Dictionary<string, string[]>? errors = null;
            var name = JsonRequest.Text(document!.RootElement, "name", MaxNameLength, required: true, ref errors);
            return errors is null ? (name, null) : (null, Problems.Validation(errors));
        }
    }
}
