using System.Collections.Concurrent;

namespace Fleetwatch.Auth;

/// <summary>
/// What a request may touch, settled before its handler runs: the caller, the project it acts on, and the resources
/// its route names (a device, a rule, …), each found and checked against the caller's project once. A handler
/// takes them from here, so it cannot reach another project's data by forgetting a check.
/// </summary>
public sealed class Scope(Caller caller, long projectId)
{
    private Dictionary<Type, object>? _resources;

    public Caller Caller { get; } = caller;

    /// <summary>The project the request acts on: the one its route names or its resource belongs to, else the caller's (the default project for server keys).</summary>
    public long ProjectId { get; internal set; } = projectId;

    /// <summary>A resource the route named, resolved and checked; throws if the route names none of that type (a programming error).</summary>
    public T Get<T>() where T : class =>
        _resources?.GetValueOrDefault(typeof(T)) as T ?? throw new InvalidOperationException($"The route names no {typeof(T).Name}");

    internal void Add(object resource) => (_resources ??= [])[resource.GetType()] = resource;
}

/// <summary>Finds what a route parameter names (<c>rule_id</c> → the rule) and the project it belongs to; null when there is none.</summary>
public interface IScopeResolver
{
    /// <summary>The route parameter, with <c>:long</c> when the route constrains it to an integer (<c>device_id:long</c> is not <c>device_id</c>).</summary>
    string Parameter { get; }

    /// <summary>What the 404 calls it: "device", "rule", …</summary>
    string Resource { get; }

    /// <summary>The project the named resource belongs to and the resource (null when the project is all there is), or null when there is none.</summary>
    ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct);
}

/// <summary>A list endpoint: a route that names another project's resources answers <c>[]</c>, not 404 (CONTRACTS.md §3).</summary>
public sealed class EmptyListWhenForeign
{
    public static readonly EmptyListWhenForeign Instance = new();
}

/// <summary>
/// After authorization: builds the request's <see cref="Scope"/> and resolves every scoped route parameter in route
/// order. A resource that does not exist, or is another project's, answers 404 in the contract's words (or [] for a
/// list) before any parameter is validated or any body read; a device key may touch its own device only.
/// </summary>
public sealed class ScopeMiddleware(RequestDelegate next, IEnumerable<IScopeResolver> resolvers, Tenancy tenancy)
{
    private readonly Dictionary<string, IScopeResolver> _resolvers = resolvers.ToDictionary(r => r.Parameter);
    private readonly ConcurrentDictionary<RouteEndpoint, (string Name, IScopeResolver Resolver)[]> _plans = new();

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.User.Identity is not CallerIdentity { Caller: var caller } || http.GetEndpoint() is not RouteEndpoint endpoint)
        {
            await next(http);
            return;
        }
        var scope = new Scope(caller, ProjectAsked(http, caller) ?? tenancy.ProjectOf(caller));
        http.Features.Set(scope);
        var routeProject = false;
        foreach (var (name, resolver) in _plans.GetOrAdd(endpoint, Plan))
        {
            var value = http.Request.RouteValues[name]?.ToString() ?? "";
            var found = await resolver.ResolveAsync(value, scope, http.RequestAborted);
            // A resource of another project does not exist for this caller, and one outside the project the route names does not exist in it.
            if (found is not { } hit || !caller.CanSee(hit.ProjectId) || (routeProject && hit.ProjectId != scope.ProjectId))
            {
                await RefuseAsync(http, endpoint, resolver, value);
                return;
            }
            scope.ProjectId = hit.ProjectId;
            routeProject = true;
            if (hit.Resource is not null) scope.Add(hit.Resource);
        }
        await next(http);
    }

    /// <summary>Header naming the project a server administrator's request acts on where its route names none (the dashboard's project switcher).</summary>
    public const string ProjectHeader = "X-Project-Id";

    /// <summary>
    /// A server key belongs to no project: routes that take the project from the key (a device by its external id, the
    /// streams) act on the default one, or on the one this header names. Other keys' projects are their own: ignored.
    /// </summary>
    private static long? ProjectAsked(HttpContext http, Caller caller) =>
        caller.IsServerAdmin && long.TryParse(http.Request.Headers[ProjectHeader].ToString(), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var project) && project > 0 ? project : null;

    private (string, IScopeResolver)[] Plan(RouteEndpoint endpoint) =>
    [
        .. endpoint.RoutePattern.Parameters
            .Select(p => p.ParameterPolicies.Any(policy => policy.Content == "long") ? (p.Name, Key: p.Name + ":long") : (p.Name, Key: p.Name))
            .Where(p => _resolvers.ContainsKey(p.Key))
            .Select(p => (p.Name, _resolvers[p.Key])),
    ];

    private static Task RefuseAsync(HttpContext http, RouteEndpoint endpoint, IScopeResolver resolver, string value)
    {
        if (endpoint.Metadata.GetMetadata<EmptyListWhenForeign>() is not null)
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            return http.Response.WriteAsync("[]", http.RequestAborted);
        }
        var style = endpoint.Metadata.GetMetadata<AuthStyle>() ?? throw new InvalidOperationException($"{endpoint.DisplayName} has no AuthStyle");
        return style.NotFound(resolver.Resource, value).ExecuteAsync(http);
    }
}

/// <summary><c>{project_id}</c>: the project itself; whether it exists is the handler's business (lists of a project nobody has are empty).</summary>
public sealed class ProjectResolver : IScopeResolver
{
    public string Parameter => "project_id:long";
    public string Resource => "project";

    public ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        ValueTask.FromResult<(long, object?)?>(long.TryParse(value, out var id) ? (id, null) : null);
}

/// <summary>
/// <c>{name_id:long}</c> of a stored resource that knows its project (a rule, an alert, a webhook, a delivery): found by
/// its id with <paramref name="find"/>.
/// </summary>
public sealed class StoredResourceResolver<T>(string name, Func<long, CancellationToken, Task<T?>> find, Func<T, long> projectOf) : IScopeResolver
    where T : class
{
    public string Parameter => name + "_id:long";
    public string Resource => name;

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        long.TryParse(value, out var id) && await find(id, ct) is { } found ? (projectOf(found), found) : null;
}

/// <summary><c>{prefix}</c> of <c>/projects/{project_id}/api-keys/{prefix}</c>: a stored key.</summary>
public sealed class ApiKeyResolver(IApiKeyStore keys) : IScopeResolver
{
    public string Parameter => "prefix";
    public string Resource => "API key";

    public async ValueTask<(long ProjectId, object? Resource)?> ResolveAsync(string value, Scope scope, CancellationToken ct) =>
        await keys.FindKeyAsync(value, ct) is { ProjectId: { } project } key ? (project, key) : null;
}

public static class ScopeExtensions
{
    public static Scope GetScope(this HttpContext http) =>
        http.Features.Get<Scope>() ?? throw new InvalidOperationException("The endpoint has no access policy, so it has no scope");

    /// <summary>Another project's resources answer <c>[]</c> on this list endpoint.</summary>
    public static TBuilder ListsOfTheProject<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EmptyListWhenForeign.Instance);
}
