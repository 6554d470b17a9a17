using System.Reflection;
using Fleetwatch.Auth;
using Fleetwatch.Http;
using Fleetwatch.Platform;

namespace Fleetwatch.Dashboard;

public sealed record MeResponse(long ProjectId, string Role, string KeyPrefix, bool ServerAdmin);

/// <summary>
/// The web dashboard at <c>/ui/</c>: static files embedded in the executable (so the server needs no build step,
/// npm or network at run time), using only the public API. <c>GET /auth/me</c> tells it whose key it holds.
/// </summary>
public static class DashboardApi
{
    private const string Prefix = "dashboard/";
    private static readonly Assembly Assembly = typeof(DashboardApi).Assembly;

    public static void MapDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapPlatformGroup("/auth").MapGet("/me", (HttpContext http) =>
        {
            var scope = http.GetScope();
            return TypedResults.Ok(new MeResponse(scope.ProjectId, ApiKeys.RoleName(scope.Caller.Role), scope.Caller.KeyPrefix, scope.Caller.IsServerAdmin));
        }).RequireAccess(Access.Any);
        routes.MapGet("/ui/{**path}", (string? path, HttpRequest request) =>
        {
            // The page's relative links need the trailing slash.
            if (!request.Path.Value!.EndsWith('/') && string.IsNullOrEmpty(path)) return Results.Redirect("/ui/");
            var name = string.IsNullOrEmpty(path) ? "index.html" : path;
            var stream = name.Contains("..", StringComparison.Ordinal) ? null : Assembly.GetManifestResourceStream(Prefix + name);
            return stream is null ? Problems.NotFound($"No dashboard file {name}") : Results.Stream(stream, ContentType(name));
        }).ExcludeFromDescription();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
}
