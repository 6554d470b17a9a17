using System.Reflection;
using Fleetwatch.Http;

namespace Fleetwatch.Dashboard;

/// <summary>
/// The web dashboard at <c>/ui/</c>: static files embedded in the executable (so the server needs no build step,
/// npm or network at run time), using only the public API.
/// </summary>
public static class DashboardApi
{
    private const string Prefix = "dashboard/";
    private static readonly Assembly Assembly = typeof(DashboardApi).Assembly;

    public static void MapDashboard(this IEndpointRouteBuilder routes)
    {
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
        ".svg" => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };
}
