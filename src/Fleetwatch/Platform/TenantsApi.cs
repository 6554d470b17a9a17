using Fleetwatch.Auth;
using Fleetwatch.Hosting;
using Fleetwatch.Http;
using Fleetwatch.Model;
using Fleetwatch.Tenants;
using Microsoft.Extensions.Options;

namespace Fleetwatch.Platform;

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
        // The original's open bootstrap, for trusted networks: without a key, these three act as a server administrator.
        var bootstrap = routes.MapPlatformGroup().WithMetadata(new AnonymousAccess(_ => openBootstrap ? new Caller(null, KeyRole.Admin, "open-bootstrap") : null));
        bootstrap.MapPost("/orgs", CreateOrg).RequireAccess(Access.ServerAdmin, "Creating an org needs a server administrator key")
            .WithSummary("Create an org").WithDescription("Needs a server administrator key (the one printed at first start, or `API_KEY`). 409 when the name is taken.")
            .Accepts<NameBody>("application/json").Produces<OrgResponse>(StatusCodes.Status201Created);
        bootstrap.MapPost("/orgs/{org_id:long}/projects", CreateProject).RequireAccess(Access.ServerAdmin, "Creating a project needs a server administrator key")
            .WithSummary("Create a project in an org").WithDescription("Needs a server administrator key. 409 when the org already has a project of that name.")
            .Accepts<NameBody>("application/json").Produces<ProjectResponse>(StatusCodes.Status201Created);
        bootstrap.MapPost("/projects/{project_id:long}/api-keys", CreateKey).RequireAccess(Access.Admin, "Creating a key needs an admin key of the project")
            .WithSummary("Create an API key").WithDescription("A key of the project with a role (`read`, `ingest` or `admin`, the default). The key is shown once; " +
                "only its prefix and a hash are stored.")
            .RequireRateLimiting(RateLimits.ApiKeys).Accepts<KeyBody>("application/json").Produces<CreatedKeyResponse>(StatusCodes.Status201Created);

        var group = routes.MapPlatformGroup();
        group.MapGet("/orgs", ListOrgs).RequireAccess(Access.Any).Produces<OrgResponse[]>()
            .WithSummary("List orgs").WithDescription("Every org for a server key; the key's own org for a project key.");
        group.MapGet("/orgs/{org_id:long}/projects", ListProjects).RequireAccess(Access.Any).ListsOfTheProject().Produces<ProjectResponse[]>()
            .WithSummary("List an org's projects").WithDescription("Every project of the org for a server key; the key's own project for a project key.");
        group.MapGet("/projects/{project_id:long}", GetProject).RequireAccess(Access.Any).Produces<ProjectResponse>()
            .WithSummary("Get a project").WithDescription("Another project answers 404.");
        group.MapGet("/projects/{project_id:long}/api-keys", ListKeys).RequireAccess(Access.Admin, "Listing keys needs an admin key of the project")
            .WithSummary("List a project's API keys").WithDescription("Prefix, role, name, creation, last use and revocation of each key; never a secret. Admin key.")
            .ListsOfTheProject().Produces<KeyResponse[]>();
        group.MapDelete("/projects/{project_id:long}/api-keys/{prefix}", RevokeKey).RequireAccess(Access.Admin, "Revoking a key needs an admin key of the project")
            .WithSummary("Revoke an API key").WithDescription("The key stops working at once on every node. Admin key.")
            .Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> CreateOrg(HttpContext http, ITenantStore store)
    {
        var (name, problem) = await ReadNameAsync(http);
        if (problem is not null) return problem;
        return await store.CreateOrgAsync(name!, http.RequestAborted) is { } org
            ? TypedResults.Created($"/orgs/{org.Id}", OrgResponse.From(org))
            : Problems.Of(StatusCodes.Status409Conflict, $"An org named \"{name}\" already exists");
    }

    private static async Task<IResult> CreateProject(long org_id, HttpContext http, ITenantStore store)
    {
        if (await store.GetOrgAsync(org_id, http.RequestAborted) is null) return Problems.NotFound("org not found");
        var (name, problem) = await ReadNameAsync(http);
        if (problem is not null) return problem;
        return await store.CreateProjectAsync(org_id, name!, http.RequestAborted) is { } project
            ? TypedResults.Created($"/projects/{project.Id}", ProjectResponse.From(project))
            : Problems.Of(StatusCodes.Status409Conflict, $"The org already has a project named \"{name}\"");
    }

    private static async Task<IResult> CreateKey(long project_id, HttpContext http, ITenantStore tenants, IApiKeyStore keys)
    {
        if (await tenants.GetProjectAsync(project_id, http.RequestAborted) is not { } project) return Problems.NotFound("project not found");
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
        // A project's key sees its own org only.
        if (http.GetCaller().ProjectId is not { } own) return TypedResults.Ok((await store.ListOrgsAsync(http.RequestAborted)).Select(OrgResponse.From).ToArray());
        var project = await store.GetProjectAsync(own, http.RequestAborted);
        var org = project is null ? null : await store.GetOrgAsync(project.OrgId, http.RequestAborted);
        return TypedResults.Ok(org is null ? Array.Empty<OrgResponse>() : [OrgResponse.From(org)]);
    }

    private static async Task<IResult> ListProjects(long org_id, HttpContext http, ITenantStore store)
    {
        // A project's key sees its own project only.
        var own = http.GetCaller().ProjectId;
        var projects = await store.ListProjectsAsync(org_id, http.RequestAborted);
        return TypedResults.Ok(projects.Where(p => own is null || p.Id == own).Select(ProjectResponse.From).ToArray());
    }

    private static async Task<IResult> GetProject(long project_id, HttpContext http, ITenantStore store) =>
        await store.GetProjectAsync(project_id, http.RequestAborted) is { } project ? TypedResults.Ok(ProjectResponse.From(project)) : Problems.NotFound("project not found");

    private static async Task<IResult> ListKeys(long project_id, HttpContext http, IApiKeyStore keys, KeyUsageRecorder usage)
    {
        var listed = await keys.ListKeysAsync(project_id, http.RequestAborted);
        return TypedResults.Ok(listed.Select(k => KeyResponse.From(k, usage.Latest(k.Prefix, k.LastUsedMicros))).ToArray());
    }

    private static async Task<IResult> RevokeKey(long project_id, string prefix, HttpContext http, IApiKeyStore keys, ChangeBus changes)
    {
        await keys.RevokeKeyAsync(prefix, http.RequestAborted);
        await changes.PublishAsync(ChangeBus.KeyTopic, prefix, http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.OpenBootstrap, Level = LogLevel.Warning, Message =
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
