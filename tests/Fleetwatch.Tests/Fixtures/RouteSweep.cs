using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetwatch.Tests.Fixtures;

/// <summary>
/// Every route the server maps, read from its endpoint data source (so a route added tomorrow is swept too), with
/// each route parameter filled in: by name, or by <c>name:long</c> where the route constrains it to an integer.
/// </summary>
public static partial class RouteSweep
{
    public sealed record Route(string Method, string Pattern, string Path, RouteEndpoint Endpoint)
    {
        public override string ToString() => $"{Method} {Pattern}";
    }

    [GeneratedRegex("\\{\\**(?<name>[a-z_]+)(?<constraint>:[a-z]+)?\\??\\}")]
    private static partial Regex Parameter();

    public static IReadOnlyList<Route> All(TestServer server, IReadOnlyDictionary<string, string> values)
    {
        var routes = new List<Route>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            // A group maps its root as "/group/": written without the slash, as clients call it.
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            var path = Parameter().Replace(pattern, m =>
            {
                var name = m.Groups["name"].Value;
                var key = m.Groups["constraint"].Value == ":long" ? name + ":long" : name;
                return values.TryGetValue(key, out var value) ? Uri.EscapeDataString(value)
                    : throw new InvalidOperationException($"No value for route parameter {key} of {pattern}: add one to the sweep");
            });
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            routes.AddRange(methods.Where(m => m is not ("HEAD" or "OPTIONS" or "CONNECT")).Select(method => new Route(method, pattern, path, endpoint)));
        }
        return routes;
    }
}
